#!/usr/bin/env python3
"""Draws the harder OCR fixtures of bot/evidence/testdata.

Synthetic phone screenshots of debt-collection messages: SMS threads (light
and dark), WeChat chats with white and green bubbles (light and dark), a
dark call log, a long scrolling screenshot (1080x4000), a small 720x1600 one,
lending platforms named inside running text, dates like 11月5日 and
2024年11月5日 09:12, sums like 3,280.00元. Every name, number and platform is
invented (133/177 mobiles, 021-6123xxxx landlines).

For each scene NAME it writes NAME.png (the screenshot), NAME_tg.jpg (as
Telegram sends a photo: long side 1280 px, JPEG quality 80-87) and NAME.gt.txt
(the text drawn, line by line, top to bottom). The ground truth a perfect
reader would extract is written by hand in ../ocr_truth.json, not here.

Run from anywhere (Debian: apt-get install python3-pil fonts-noto-cjk):

    /usr/bin/python3 bot/evidence/testdata/gen/gen.py

The tests read only the committed images: neither Pillow nor the fonts are
needed to run them. Output is deterministic for a given Pillow and font.
"""

import os
import sys

from PIL import Image, ImageDraw, ImageFont

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX = 2  # Noto Sans CJK SC

_fonts = {}


def font(size):
    if size not in _fonts:
        _fonts[size] = ImageFont.truetype(FONT, size, index=FONT_INDEX)
    return _fonts[size]


STYLES = {
    "wechat-light": dict(bg="#EDEDED", bar="#EDEDED", title="#111111", status="#111111",
                         rule="#D6D6D6", time="#9A9A9A", in_bg="#FFFFFF", in_fg="#111111",
                         out_bg="#95EC69", out_fg="#111111", avatar_in="#7D8FA8",
                         avatar_out="#C9A27E", avatars=True),
    "wechat-dark": dict(bg="#111111", bar="#191919", title="#D5D5D5", status="#D5D5D5",
                        rule="#2A2A2A", time="#6E6E6E", in_bg="#2C2C2C", in_fg="#D5D5D5",
                        out_bg="#3EB575", out_fg="#0F0F0F", avatar_in="#4A5A70",
                        avatar_out="#8A6E55", avatars=True),
    "sms-light": dict(bg="#FFFFFF", bar="#FFFFFF", title="#1F1F1F", status="#1F1F1F",
                      rule="#E3E3E3", time="#747775", in_bg="#F0F2F5", in_fg="#1F1F1F",
                      out_bg="#D3E3FD", out_fg="#0B1D3A", avatar_in="#A8C7FA",
                      avatar_out="#A8C7FA", avatars=False),
    "sms-dark": dict(bg="#000000", bar="#000000", title="#FFFFFF", status="#FFFFFF",
                     rule="#1C1C1E", time="#8E8E93", in_bg="#262629", in_fg="#FFFFFF",
                     out_bg="#0A84FF", out_fg="#FFFFFF", avatar_in="#636366",
                     avatar_out="#636366", avatars=False),
}


def wrap(text, fnt, width):
    """Breaks text into lines no wider than width, character by character, as
    chat apps do with Chinese (numbers may be cut across lines)."""
    lines, cur = [], ""
    for ch in text:
        if ch == "\n":
            lines.append(cur)
            cur = ""
            continue
        if cur and fnt.getlength(cur + ch) > width:
            # Chinese typesetting keeps closing punctuation on the line.
            if ch in "，。！？、；：）】”":
                cur += ch
                continue
            lines.append(cur)
            cur = ""
        cur += ch
    if cur:
        lines.append(cur)
    return lines


class Canvas:
    def __init__(self, w, h, style, scale):
        self.w, self.h, self.s = w, h, scale
        self.st = STYLES[style]
        self.im = Image.new("RGB", (w, h), self.st["bg"])
        self.d = ImageDraw.Draw(self.im)
        self.gt = []

    def px(self, v):
        return int(round(v * self.s))

    def text(self, xy, s, size, fill, anchor="la"):
        self.d.text(xy, s, font=font(self.px(size)), fill=fill, anchor=anchor)

    def status(self, clock="10:42", right="5G 87%"):
        self.text((self.px(60), self.px(55)), clock, 36, self.st["status"], "lm")
        self.text((self.w - self.px(80), self.px(55)), right, 32, self.st["status"], "rm")
        self.gt += [clock, right]

    def header(self, title, subtitle=None, left=False):
        h = self.px(150 if subtitle is None else 185)
        self.d.rectangle([0, self.px(100), self.w, self.px(100) + h], fill=self.st["bar"])
        if left:
            self.text((self.px(60), self.px(100) + h // 2), title, 60, self.st["title"], "lm")
        else:
            y = self.px(175) if subtitle is None else self.px(160)
            self.text((self.w // 2, y), title, 42, self.st["title"], "mm")
        self.gt.append(title)
        if subtitle:
            self.text((self.w // 2, self.px(225)), subtitle, 30, self.st["time"], "mm")
            self.gt.append(subtitle)
        self.d.line([0, self.px(100) + h, self.w, self.px(100) + h], fill=self.st["rule"], width=2)
        return self.px(100) + h + self.px(30)

    def time_label(self, y, s):
        self.text((self.w // 2, y + self.px(30)), s, 30, self.st["time"], "mm")
        self.gt.append(s)
        return y + self.px(80)

    def bubble(self, y, s, out, size=40):
        st, p = self.st, self.px
        fnt = font(p(size))
        av = p(100) if st["avatars"] else 0
        maxw = self.w - p(40) - av - p(40) - p(220)
        lines = wrap(s, fnt, maxw - 2 * p(30))
        lh = p(size * 1.55)
        tw = max(fnt.getlength(l) for l in lines)
        bw, bh = int(tw) + 2 * p(30), lh * len(lines) + 2 * p(22)
        if out:
            x1 = self.w - p(40) - av - (p(20) if av else 0)
            x0 = x1 - bw
            fill, fg, avc = st["out_bg"], st["out_fg"], st["avatar_out"]
            ax = self.w - p(40) - av
        else:
            x0 = p(40) + av + (p(20) if av else 0)
            x1 = x0 + bw
            fill, fg, avc = st["in_bg"], st["in_fg"], st["avatar_in"]
            ax = p(40)
        if av:
            self.d.rounded_rectangle([ax, y, ax + av, y + av], radius=p(10), fill=avc)
        radius = p(14) if st["avatars"] else p(40)
        self.d.rounded_rectangle([x0, y, x1, y + bh], radius=radius, fill=fill)
        for i, l in enumerate(lines):
            self.d.text((x0 + p(30), y + p(22) + i * lh + lh // 2), l, font=fnt, fill=fg, anchor="lm")
        self.gt += lines
        return y + max(bh, av) + p(40)

    def save(self, name, quality):
        if self.gt and self.gt[-1] == "":
            self.gt.pop()
        png = os.path.join(OUT, name + ".png")
        self.im.save(png, optimize=True)
        with open(os.path.join(OUT, name + ".gt.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(self.gt) + "\n")
        # Telegram: the long side to 1280 px, JPEG at quality ~80-87.
        w, h = self.im.size
        k = 1280 / max(w, h)
        small = self.im.resize((round(w * k), round(h * k)), Image.LANCZOS) if k < 1 else self.im
        small.save(os.path.join(OUT, name + "_tg.jpg"), quality=quality, subsampling=2)
        print(name, self.im.size, "->", small.size, "q", quality)


def chat(name, style, size, title, items, quality, subtitle=None, clock="10:42", text_size=40):
    w, h = size
    c = Canvas(w, h, style, w / 1080)
    c.status(clock)
    y = c.header(title, subtitle)
    for kind, s in items:
        if kind == "time":
            y = c.time_label(y, s)
        else:
            y = c.bubble(y, s, kind == "out", text_size)
        if y > h:
            sys.exit(f"{name}: the conversation does not fit in {w}x{h}")
    c.save(name, quality)


def calllog(name, style, size, rows, quality):
    w, h = size
    c = Canvas(w, h, style, w / 1080)
    c.status("12:06", "4G 61%")
    st, p = c.st, c.px
    c.text((p(60), p(180)), "通话记录", 60, st["title"], "lm")
    c.text((p(60), p(265)), "全部", 34, "#4C8DF6", "lm")
    c.text((p(170), p(265)), "未接", 34, st["time"], "lm")
    c.gt += ["通话记录", "全部   未接"]
    y = p(330)
    for number, red, sub, when in rows:
        c.text((p(60), y + p(45)), number, 50, "#E5484D" if red else st["title"], "lm")
        c.text((w - p(60), y + p(45)), when, 32, st["time"], "rm")
        c.text((p(60), y + p(110)), sub, 32, st["time"], "lm")
        c.gt += [number, when, sub]
        y += p(175)
        c.d.line([p(60), y, w, y], fill=st["rule"], width=2)
    c.save(name, quality)


def main():
    # 1. SMS, light: a platform named only inside running text (花花分期),
    # dates with and without a year, sums with thousands separators.
    chat("sms4_inline", "sms-light", (1080, 2340), "10690123400088", [
        ("time", "2024年11月5日 09:12"),
        ("in", "尊敬的李明先生，你在花花分期的账单已逾期，应还金额3,280.00元，请于今日18:00前还款，详询021-61230001。"),
        ("time", "11月6日 10:35"),
        ("in", "【闪电贷】您在我司的借款已逾期2天，待还1,500.00元，逾期将影响个人征信，如已还款请忽略。"),
        ("time", "11月8日 08:47"),
        ("in", "李明，你在花花分期的借款拖了这么久，再不还我们就联系你通讯录里的所有人。回电13312345678"),
        ("out", "我会在本月底前还清，请不要联系我的家人"),
    ], 87, subtitle="短信/彩信")

    # 2. WeChat, light, the person's own green bubbles carry a date and a sum.
    chat("wechat5_green", "wechat-light", (1080, 2340), "催收-张专员", [
        ("time", "11月5日 下午3:20"),
        ("in", "你好，这里是好运贷贷后部门，你在我们平台的借款已经逾期12天了，合计欠款¥12,500.00，今天能处理吗"),
        ("out", "我11月1日已经还了2000元，剩下的能不能分期"),
        ("in", "分期不可能，明天中午前必须结清，不然就发到你所有亲戚朋友群里。"),
        ("time", "11月6日 09:05"),
        ("out", "我在米粒借的账单也逾期了，实在周转不过来，求你们宽限几天"),
        ("in", "少废话，你老公的电话17755550123我们已经有了，看着办"),
        ("out", "我的手机号是13387654321，有事打我电话，别找我家人"),
    ], 85)

    # 3. WeChat, dark mode (light text on dark bubbles, dark text on green).
    chat("wechat6_dark", "wechat-dark", (1080, 2340), "法务部-陈", [
        ("time", "2024年10月28日 22:41"),
        ("in", "你在极速钱包的借款本金5,000.00元，利息及罚息1,860.50元，逾期已经45天，今晚必须还。"),
        ("out", "我现在真的没钱，下个月10号发工资就还"),
        ("in", "明天我们派人去你单位，你们单位的电话021-61237788我们也有"),
        ("time", "昨天 23:15"),
        ("in", "最后通知：明天不还款，你的照片会发到你们小区业主群"),
        ("time", "今天 07:30"),
        ("out", "已经转了1,000元，请查收"),
    ], 82)

    # 4. SMS, dark (iPhone size): the sender shown as +86 177 0012 3456, a
    # weekday between date and time, an order number that is no phone.
    chat("sms7_dark", "sms-dark", (1170, 2532), "+86 177 0012 3456", [
        ("time", "2024年11月3日 星期日 20:41"),
        ("in", "你好，你在橙子白条的分期账单（第3期）已逾期，逾期金额860.00元，已产生罚息。请尽快还款，以免影响征信。"),
        ("time", "11月4日 21:02"),
        ("in", "再不还钱我们就联系你的父母和同事，告诉他们你欠钱不还。"),
        ("time", "11月5日 09:12"),
        ("in", "李先生你好，我是橙子白条的委外催收员，你的欠款860元已转我方处理，请联系13312340000。"),
        ("out", "我已经在APP上还了，订单号20241105093312"),
    ], 80)

    # 5. Call log, dark mode: 今天/昨天 with times, 11月5日, 2024/10/30.
    calllog("calllog8_dark", "sms-dark", (1080, 2340), [
        ("17711112222", True, "江苏南京 · 疑似催收", "今天 09:12"),
        ("021-61235566", True, "上海 · 42人标记为催收", "今天 08:55"),
        ("13300001234", False, "广东广州", "昨天 21:40"),
        ("4006789012", False, "好运贷客服", "昨天 16:02"),
        ("17722223333", True, "四川成都 · 骚扰电话", "11月5日 10:30"),
        ("13355556666 (3)", True, "湖北武汉 · 催收电话", "11月4日"),
        ("18912345670", False, "未知", "2024/10/30"),
        ("021-61239900", False, "上海", "2024/10/28"),
    ], 86)

    # 6. A long scrolling screenshot (1080x4000), WeChat light, over a week.
    chat("long9_scroll", "wechat-light", (1080, 4000), "贷后-刘经理", [
        ("time", "2024年10月30日 19:20"),
        ("in", "你好，我是贷后专员刘经理，这是我的工作微信，你的账单已经转到我这里。"),
        ("out", "你好，我最近手头紧，过几天处理"),
        ("in", "过几天是哪天？给个准确时间，不然按流程走。"),
        ("out", "发了工资就还"),
        ("time", "2024年11月1日 10:05"),
        ("in", "李明你好，你在融易花的借款已逾期，当前应还4,200.00元，请今天处理。"),
        ("out", "知道了，这周内处理"),
        ("time", "11月3日 20:41"),
        ("in", "这周都快过完了，钱呢？你在米粒借还有一笔2,600元也逾期了"),
        ("out", "我在想办法，能不能先还一部分"),
        ("in", "先还1000元，剩下的月底前结清"),
        ("time", "11月5日 09:12"),
        ("in", "钱没到账，你老婆的电话17733334444已经在我们手上了"),
        ("in", "今天下午再不还，我们就打爆你通讯录"),
        ("out", "请不要骚扰我的家人，我会报警"),
        ("in", "报警？欠钱不还还有理了？我们联系过你单位，电话021-61238800，明天就去你公司"),
        ("time", "昨天 18:30"),
        ("in", "最后通知：你在融易花和米粒借的欠款合计6,800.00元，今晚12点前不结清，后果自负"),
        ("out", "我已经向金融监管部门投诉了"),
        ("time", "今天 09:02"),
        ("in", "投诉也没用，打13355557777找我"),
    ], 85)

    # 7. SMS, light: a formal notice with a contract number, a due date
    # 2024-10-20, a cut-off 2024/11/04, four sums.
    chat("sms10_notice", "sms-light", (1080, 2340), "10655012345678", [
        ("time", "2024年10月21日 10:00"),
        ("in", "【融易花】您的借款（合同编号HT2024061500123）本期应还款日为2024-10-20，应还金额2,150.00元，目前已逾期1天，请登录APP还款。"),
        ("time", "2024年11月5日 09:12"),
        ("in", "【融易花】催收告知函：截至2024/11/04，您的借款本金2,000.00元，利息及罚息1,280.50元，合计3,280.50元已逾期16天。案件已委托第三方处理，如有疑问请致电4001234567。"),
    ], 84, subtitle="短信/彩信")

    # 8. A small screenshot (720x1600, small text): a mother forwards what
    # a collector told her; 11月5日 晚上8:15.
    chat("wechat11_small", "wechat-light", (720, 1600), "妈妈", [
        ("time", "11月5日 晚上8:15"),
        ("in", "今天有人打电话给我，说你在花花分期借了钱不还，号码是17766668888，还说要来家里"),
        ("in", "他说你欠了9,850元，是真的吗"),
        ("out", "妈，别理他们，我在处理"),
        ("time", "11月6日 上午7:40"),
        ("in", "又打来了，这次是021-61236677，说再不还就上门"),
    ], 83, clock="7:52", text_size=38)

    # 9. SMS, dark Android: known platform names in running text (闪电贷,
    # 融易花 after 在), a yearless date with a time, a 万 sum, a decoy card.
    chat("sms12_dark", "sms-dark", (1080, 2340), "17700009999", [
        ("time", "11月5日 19:48"),
        ("in", "李明，你在闪电贷借的1.2万元已经逾期一个月，今晚不还就把你欠钱的事告诉你公司领导。"),
        ("time", "11月7日 08:05"),
        ("in", "还有你在融易花的欠款3,000元也一起还，还款卡号6217 0012 3456 7890 123，户名王某。"),
        ("out", "我只借了8000元，你们要的太多了"),
        ("in", "不还就等着上门吧，你家地址我们都知道。"),
    ], 81)


if __name__ == "__main__":
    main()
