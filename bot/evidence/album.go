package evidence

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anning-bot/anning/bot/evidence/facts"
)

// AlbumWait is how long after an album's last item the person is told what
// was kept. Telegram delivers the items of an album (one media_group_id)
// as separate messages within about a second.
var AlbumWait = 1500 * time.Millisecond

// albums gathers the items of each album so that forwarding ten
// screenshots brings one acknowledgement and one summary of what was read,
// not twenty messages. (Items of one album reaching different replicas are
// acknowledged by each: the gathering is per process.)
type albums struct {
	mu   sync.Mutex
	open map[string]*album // by user and group
}

type album struct {
	user    string
	kept    []Item // in the order they arrived
	dups    []int  // numbers of items saved before
	ocr     int    // items still being read
	read    []readResult
	acked   bool
	timer   *time.Timer
	summary bool // the summary was sent
}

type readResult struct {
	n      int
	facts  *facts.Facts
	failed bool
}

func albumKey(user, group string) string { return user + "\x00" + group }

// joinAlbum records an item kept from an album; the acknowledgement goes
// out AlbumWait after the album's last item.
func (s *Service) joinAlbum(user, group string, item Item, dup bool) {
	s.albums.mu.Lock()
	defer s.albums.mu.Unlock()
	if s.albums.open == nil {
		s.albums.open = map[string]*album{}
	}
	key := albumKey(user, group)
	a := s.albums.open[key]
	if a == nil {
		a = &album{user: user}
		s.albums.open[key] = a
		s.wg.Add(1) // Wait (at shutdown) lets the acknowledgement go out
	}
	if dup {
		a.dups = append(a.dups, item.N)
	} else {
		a.kept = append(a.kept, item)
		if item.OCR == OCRPending {
			a.ocr++
		}
	}
	if a.timer != nil {
		a.timer.Stop()
	}
	a.timer = time.AfterFunc(AlbumWait, func() { s.ackAlbum(key) })
}

// albumRead records what OCR found in an album's item; it reports whether
// the item belongs to an open album (then the album's summary covers it).
func (s *Service) albumRead(user string, item Item, f *facts.Facts, failed bool) bool {
	s.albums.mu.Lock()
	var ready *album
	var key string
	found := false
	for k, a := range s.albums.open {
		if a.user != user || !a.holds(item.N) {
			continue
		}
		found, key = true, k
		a.ocr--
		a.read = append(a.read, readResult{item.N, f, failed})
		if a.acked && a.ocr <= 0 && !a.summary {
			a.summary, ready = true, a
			delete(s.albums.open, k)
		}
	}
	s.albums.mu.Unlock()
	if ready != nil {
		s.notifyAlbum(key, ready.user, ready.summaryText())
	}
	return found
}

func (a *album) holds(n int) bool {
	for _, it := range a.kept {
		if it.N == n {
			return true
		}
	}
	return false
}

// ackAlbum tells the person the album was kept, once; with nothing left to
// read, what was read too.
func (s *Service) ackAlbum(key string) {
	s.albums.mu.Lock()
	a := s.albums.open[key]
	if a == nil || a.acked {
		s.albums.mu.Unlock()
		return
	}
	a.acked = true
	defer s.wg.Done()
	text := a.ackText()
	if a.ocr <= 0 {
		if len(a.read) > 0 {
			text += "\n\n" + a.summaryText()
		}
		a.summary = true
		delete(s.albums.open, key)
	}
	s.albums.mu.Unlock()
	s.notifyAlbum(key, a.user, text)
}

func (s *Service) notifyAlbum(_ string, user, text string) {
	if s.Notify == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Notify.Notify(ctx, user, notice(text)); err != nil {
		s.Log.Warn("album message not delivered", "user", user, "err", err)
	}
}

// ackText: 已收到这组 10 个文件，保存为第 3–12 份证据（图片 8 张，录音 2 段）。
func (a *album) ackText() string {
	var b strings.Builder
	if len(a.kept) > 0 {
		first, last := a.kept[0].N, a.kept[len(a.kept)-1].N
		nums := fmt.Sprintf("第 %d 份", first)
		if last != first {
			nums = fmt.Sprintf("第 %d–%d 份", first, last)
		}
		fmt.Fprintf(&b, "已收到这组 %d 个文件，保存为%s证据（%s）。", len(a.kept)+len(a.dups), nums, a.kinds())
	} else {
		fmt.Fprintf(&b, "已收到这组 %d 个文件。", len(a.dups))
	}
	if len(a.dups) > 0 {
		fmt.Fprintf(&b, "其中 %d 个之前已经保存过（%s），没有重复保存。", len(a.dups), itemList(a.dups))
	}
	if a.ocr > 0 {
		b.WriteString("\n" + msgReadingAlbum)
	}
	return b.String()
}

const msgReadingAlbum = "正在识别图片里的文字，识别完一起告诉你。"

// kinds counts the kept items by label: 图片 8 张，录音 2 段.
func (a *album) kinds() string {
	counts := map[string]int{}
	var order []string
	for _, it := range a.kept {
		l := typeLabel(it.Type)
		if counts[l] == 0 {
			order = append(order, l)
		}
		counts[l]++
	}
	unit := map[string]string{"图片": "张", "录音": "段", "视频": "段", "PDF 文件": "份"}
	var parts []string
	for _, l := range order {
		u := unit[l]
		if u == "" {
			u = "个"
		}
		parts = append(parts, fmt.Sprintf("%s %d %s", l, counts[l], u))
	}
	return strings.Join(parts, "，")
}

// summaryText is what was read in the whole album: each kind of fact once,
// then only what is particular to one item (its dates), and the items
// nothing could be read from.
func (a *album) summaryText() string {
	sort.Slice(a.read, func(i, j int) bool { return a.read[i].n < a.read[j].n })
	rows := map[string][]string{}
	var order []string
	seen := collector{}
	var failed, empty []int
	var dated []string
	for _, r := range a.read {
		if r.failed || r.facts == nil {
			failed = append(failed, r.n)
			continue
		}
		any := false
		for _, row := range factRows(r.facts) {
			if row.label == "日期" {
				if len(row.values) > 0 {
					dated = append(dated, fmt.Sprintf("第 %d 份 %s", r.n, strings.Join(row.values, "、")))
					any = true
				}
				continue
			}
			for _, v := range row.values {
				any = true
				if _, ok := rows[row.label]; !ok {
					order = append(order, row.label)
				}
				list := rows[row.label]
				seen.add(&list, row.label+"\x00"+v)
				rows[row.label] = list
			}
		}
		if !any {
			empty = append(empty, r.n)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "这组证据（%s）里找到的信息：", itemRange(a.read))
	if len(order) == 0 && len(dated) == 0 {
		b.WriteString("\n没有读出电话、平台或日期。")
	}
	for _, label := range order {
		var vals []string
		for _, v := range rows[label] {
			_, val, _ := strings.Cut(v, "\x00")
			vals = append(vals, val)
		}
		b.WriteString("\n" + label + "：" + strings.Join(vals, "、"))
	}
	if len(dated) > 0 {
		b.WriteString("\n日期：" + strings.Join(dated, "；"))
	}
	if len(empty) > 0 {
		fmt.Fprintf(&b, "\n%s没有读出这些信息。", itemList(empty))
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "\n%s的文字没有识别出来（图片可能太模糊），文件已经保存好了。", itemList(failed))
	}
	b.WriteString("\n" + msgCheck)
	return b.String()
}

func itemRange(rs []readResult) string {
	if len(rs) == 0 {
		return ""
	}
	if len(rs) == 1 {
		return fmt.Sprintf("第 %d 份", rs[0].n)
	}
	return fmt.Sprintf("第 %d–%d 份", rs[0].n, rs[len(rs)-1].n)
}

func itemList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return "第 " + strings.Join(parts, "、") + " 份"
}
