package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anning-bot/anning/bot/domain"
	"github.com/anning-bot/anning/bot/draft"
	"github.com/anning-bot/anning/bot/evidence/facts"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/content"
)

// Fetcher downloads an attachment's bytes; each transport has its own
// (Telegram: getFile and the file endpoint; console: a local path), and
// main gives the service a domain.Router that picks the person's.
type Fetcher = domain.FileFetcher

// Notifier sends replies to a person outside a turn, e.g. when OCR is done.
type Notifier = domain.Notifier

// Limits bound what one person may keep.
type Limits struct {
	MaxFile  int64 // a bot can download at most 20 MB from Telegram
	MaxCount int
	MaxTotal int64
}

// DefaultLimits are the limits unless configured otherwise.
var DefaultLimits = Limits{MaxFile: 20 << 20, MaxCount: 200, MaxTotal: 300 << 20}

// Service takes in, lists, exports and erases evidence.
type Service struct {
	Blobs  BlobStore
	OCR    *OCR
	Rules  *facts.Rules
	Fetch  Fetcher
	Notify Notifier
	Limits Limits
	Now    func() time.Time
	Log    *slog.Logger
	Meter  Meter // optional

	// Notices are the messages of content/notices.yaml.
	Notices content.Notices

	ledger  ledgers
	exports chan struct{} // slots of the exports in progress
	wg      sync.WaitGroup
	albums  albums
}

// Meter counts evidence for the operator's metrics.
type Meter interface {
	EvidenceKept(bytes int64)
	OCR(d time.Duration, err error)
}

// NewService wires a service; ledger keeps the per-person evidence lists.
func NewService(blobs BlobStore, ledger domain.Store, ocr *OCR, rules *facts.Rules) *Service {
	return &Service{Blobs: blobs, OCR: ocr, Rules: rules, Limits: DefaultLimits, Now: time.Now,
		Log: slog.New(slog.DiscardHandler), Notices: content.DefaultNotices(), ledger: ledgers{store: ledger},
		exports: make(chan struct{}, MaxExports)}
}

// Messages to the person.
const (
	msgTooLarge    = "这个文件超过 20 MB，机器人无法下载，所以没有保存。可以这样做：长截图分成几张发送；PDF 拆成几份；录音、视频截取关键的一段再发（格式不限，MP3、M4A、AMR、MP4 都可以）。原文件请一直留在手机里。"
	msgUnsupported = "这个文件类型暂不支持，没有保存。可以发送图片（JPG、PNG、WebP、HEIC）、PDF，或录音、视频（MP3、M4A、AMR、WAV、OGG、MP4、MOV 等）。"
	msgFull        = "你保存的证据已经到上限（%d 份或 %d MB），这份没有保存。可以用 /evidence 查看并删除不需要的，或先导出备份。"
	msgFetchFailed = "文件没有下载成功，没有保存。请再发送一次。"
	msgSaveFailed  = "文件没有保存成功，请稍后再发送一次。"
	msgDuplicate   = "这份文件之前已经保存过（第 %d 份证据），不会重复保存。"
	msgSaved       = "已收到，保存为第 %d 份证据（%s，%s，指纹 %s）。"
	msgReading     = "正在识别图片里的文字，稍后把找到的电话、平台和日期告诉你。"
	msgNoOCR       = "这台服务器没有安装文字识别（OCR），图片里的文字暂时读不出来，但文件已经保存好了。"
	msgNoText      = "这类文件不做文字识别。"
	msgMedia       = "录音和视频原样保存，不做识别。投诉、报案时可以把关键的一段放给对方听，或者自己整理成文字。"
	msgEmpty       = "你还没有保存证据。把催收短信、聊天记录、通话记录的截图直接发给我，就会保存下来。"
	msgRemoved     = "已删除第 %d 份证据。"
	msgNoSuchItem  = "没有第 %s 份证据。输入 /evidence 查看清单。"
	msgExported    = "这是你的全部证据（%d 份）：文件、清单和 manifest.json（含每份的 SHA-256 指纹）。请保存好这个压缩包。"
	msgCheck       = "识别结果可能有误，整理材料前请对照原图核对。"
	msgHotlines    = "\n客服热线：%s（一般是平台客服，不算作催收号码；如果催收就是用它打来的，整理材料时请自己填上它）"
)

// Add is the action for an attachment: download, check, keep, acknowledge,
// and read it with OCR in the background.
func (s *Service) Add(ctx context.Context, user string, a domain.Action, _ flow.State) ([]domain.Reply, error) {
	att := a.Attachment
	if att == nil {
		return nil, errors.New("evidence: add without attachment")
	}
	if att.Text != "" {
		return s.addText(ctx, user, att)
	}
	if att.Size > s.Limits.MaxFile {
		return notice(msgTooLarge), nil
	}
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if len(l.Items) >= s.Limits.MaxCount || l.totalSize()+att.Size > s.Limits.MaxTotal {
		return notice(fmt.Sprintf(msgFull, s.Limits.MaxCount, s.Limits.MaxTotal>>20)), nil
	}
	body, err := s.Fetch.Fetch(ctx, user, att)
	if errors.Is(err, domain.ErrAttachmentTooLarge) {
		// The platform will never hand it over: "send it again" cannot work.
		return notice(msgTooLarge), nil
	}
	if err != nil {
		return notice(msgFetchFailed), fmt.Errorf("evidence: fetch: %w", err)
	}
	defer body.Close()
	br := bufio.NewReaderSize(body, 64<<10)
	head, _ := br.Peek(64 << 10) // the type, and an image's size from its header
	typ, ok := Sniff(head)
	if !ok {
		return notice(msgUnsupported), nil
	}
	sizeErr := checkSize(head) // now: head is the reader's buffer, reused by Put
	blob, err := s.Blobs.Put(ctx, user, br, s.Limits.MaxFile)
	switch {
	case errors.Is(err, ErrTooLarge):
		return notice(msgTooLarge), nil
	case err != nil:
		return notice(msgSaveFailed), err
	}
	item := s.newItem(att, blob, typ.Name)
	tooLarge := ""
	if typ == JPEG || typ == PNG || typ == WebP {
		item.OCR = OCRPending
		if s.OCR == nil || !s.OCR.Available() {
			item.OCR = OCRUnavailable
		} else if sizeErr != nil {
			// Told from the header alone: never decoded, never given to tesseract.
			var big *ErrImageTooLarge
			errors.As(sizeErr, &big)
			item.OCR = OCRTooLarge
			tooLarge = fmt.Sprintf(s.Notices.Get("image_too_large"), big.Width, big.Height)
			s.Log.Info("image too large to read", "user", user, "width", big.Width, "height", big.Height)
		}
	}
	item, dup, err := s.record(ctx, user, item)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if !dup && item.OCR == OCRPending {
		s.markPending(ctx, user)
	}
	// An album is acknowledged once, when its last item is in.
	inAlbum := att.Group != "" && s.Notify != nil
	if dup && !inAlbum {
		return notice(fmt.Sprintf(msgDuplicate, item.N)), nil
	}
	if !dup {
		s.Log.Info("evidence kept", "user", user, "type", item.Type, "bytes", item.Size)
		if s.Meter != nil {
			s.Meter.EvidenceKept(item.Size)
		}
	}
	if inAlbum {
		s.joinAlbum(user, att.Group, item, dup)
		if !dup && item.OCR == OCRPending {
			s.readLater(user, item)
		}
		return nil, nil
	}
	label := typ.Label
	if att.Duration > 0 {
		label += "，时长 " + durationText(att.Duration)
	}
	text := fmt.Sprintf(msgSaved, item.N, label, sizeText(item.Size), item.SHA256[:8])
	switch item.OCR {
	case OCRPending:
		text += "\n" + msgReading
		s.readLater(user, item)
	case OCRUnavailable:
		text += "\n" + msgNoOCR
	case OCRTooLarge:
		text += "\n" + tooLarge
	default:
		if typ.Label == "录音" || typ.Label == "视频" {
			text += "\n" + msgMedia
		} else {
			text += "\n" + msgNoText
		}
	}
	return notice(text), nil
}

// durationText writes 65 seconds as 1分05秒.
func durationText(sec int) string {
	if sec < 60 {
		return fmt.Sprintf("%d秒", sec)
	}
	return fmt.Sprintf("%d分%02d秒", sec/60, sec%60)
}

func (s *Service) newItem(att *domain.Attachment, blob Blob, typ string) Item {
	it := Item{SHA256: blob.SHA256, Size: blob.Size, Type: typ, FileUniqueID: att.UniqueID,
		Caption: att.Caption, Received: s.Now().UTC(), OCR: OCRNone, ForwardFrom: att.ForwardFrom, Duration: att.Duration}
	if att.MessageDate > 0 {
		t := time.Unix(att.MessageDate, 0).UTC()
		it.MessageDate = &t
	}
	if att.ForwardDate > 0 {
		t := time.Unix(att.ForwardDate, 0).UTC()
		it.ForwardDate = &t
	}
	return it
}

// record adds the item to the ledger, or finds it there already (same hash).
func (s *Service) record(ctx context.Context, user string, item Item) (Item, bool, error) {
	dup := false
	_, err := s.ledger.update(ctx, user, func(l *Ledger) error {
		if d := l.find(item.SHA256); d != nil {
			item, dup = *d, true
			return nil
		}
		dup = false
		item.N = l.Next
		l.Next++
		l.Items = append(l.Items, item)
		return nil
	})
	return item, dup, err
}

// addText keeps a forwarded or pasted message as text evidence and reads its
// facts at once (no OCR needed).
func (s *Service) addText(ctx context.Context, user string, att *domain.Attachment) ([]domain.Reply, error) {
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if len(l.Items) >= s.Limits.MaxCount {
		return notice(fmt.Sprintf(msgFull, s.Limits.MaxCount, s.Limits.MaxTotal>>20)), nil
	}
	blob, err := s.Blobs.Put(ctx, user, strings.NewReader(att.Text), s.Limits.MaxFile)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	item := s.newItem(att, blob, TypeText)
	item.Text = att.Text
	ref := item.Received
	if item.ForwardDate != nil {
		ref = *item.ForwardDate
	}
	if s.Rules != nil {
		f := s.Rules.Extract(att.Text, ref)
		item.Facts = &f
	}
	item, dup, err := s.record(ctx, user, item)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if dup {
		return notice(fmt.Sprintf(msgDuplicate, item.N)), nil
	}
	text := fmt.Sprintf("已收到，保存为第 %d 份证据（文字消息，指纹 %s）。", item.N, item.SHA256[:8])
	if item.ForwardDate != nil {
		text += "\n原消息时间：" + item.ForwardDate.In(beijing).Format("2006-01-02 15:04")
		if item.ForwardFrom != "" {
			text += "，来自：" + item.ForwardFrom
		}
	}
	return notice(text + "\n" + summary(item.N, item.Facts)), nil
}

// TypeText is the type of text evidence.
const TypeText = "text"

func notice(text string) []domain.Reply {
	return []domain.Reply{{Kind: domain.ReplyNotice, Text: text}}
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// OCRBudget is how long an image may wait for OCR and be read, after
// which it is marked failed; ledgerWrite bounds the write of the outcome,
// which has its own deadline so that an image over budget is never left
// "pending".
var (
	OCRBudget   = 2 * time.Minute
	ledgerWrite = 10 * time.Second
)

// readLater runs OCR off the chat's critical path and tells the person what
// it found.
func (s *Service) readLater(user string, item Item) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.readAndTell(user, item)
	}()
}

func (s *Service) readAndTell(user string, item Item) {
	ctx, cancel := context.WithTimeout(context.Background(), OCRBudget)
	defer cancel()
	reply, err := s.read(ctx, user, item)
	if err != nil {
		s.Log.Warn("OCR failed", "user", user, "err", err)
	}
	if reply == albumCovered {
		return // the album's summary tells it
	}
	if s.Notify != nil && reply != "" {
		nctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Notify.Notify(nctx, user, notice(reply)); err != nil {
			s.Log.Warn("OCR result not delivered", "user", user, "err", err)
		}
	}
}

func (s *Service) read(ctx context.Context, user string, item Item) (string, error) {
	start := time.Now()
	text, ocrErr := s.OCR.ReadFile(ctx, func() (io.ReadCloser, error) { return s.Blobs.Open(ctx, user, item.SHA256) })
	if s.Meter != nil {
		s.Meter.OCR(time.Since(start), ocrErr)
	}
	state := OCRDone
	var found *facts.Facts
	var big *ErrImageTooLarge
	switch {
	case errors.As(ocrErr, &big):
		state = OCRTooLarge
	case ocrErr != nil:
		state = OCRFailed
	case s.Rules != nil:
		// 今天 on a forwarded screenshot means the day it was sent.
		ref := item.Received
		if item.ForwardDate != nil {
			ref = *item.ForwardDate
		}
		f := s.Rules.Extract(text, ref)
		found = &f
	}
	// Its own deadline: ctx may be over (the OCR budget ran out).
	wctx, cancel := context.WithTimeout(context.Background(), ledgerWrite)
	defer cancel()
	l, err := s.ledger.update(wctx, user, func(l *Ledger) error {
		it := l.find(item.SHA256)
		if it == nil {
			return ErrNotFound // removed meanwhile
		}
		it.OCR, it.Text, it.Facts = state, text, found
		return nil
	})
	if err == nil && l.pending() == 0 {
		s.unmarkPending(wctx, user)
	}
	if errors.Is(err, ErrNotFound) {
		s.albumRead(user, item, nil, true)
		return "", nil
	}
	if err != nil {
		s.albumRead(user, item, nil, true)
		return "", err
	}
	if s.albumRead(user, item, found, ocrErr != nil) {
		return albumCovered, ocrErr
	}
	if big != nil {
		return fmt.Sprintf("第 %d 份证据：", item.N) + fmt.Sprintf(s.Notices.Get("image_too_large"), big.Width, big.Height), ocrErr
	}
	if ocrErr != nil {
		return fmt.Sprintf("第 %d 份证据的文字没有识别出来（图片可能太模糊）。文件已经保存好了。", item.N), ocrErr
	}
	return summary(item.N, found), nil
}

// pendingKey is the record, in the ledger store, of the people with images
// waiting for OCR, so that a restart takes them up again (Resume). No
// person's id is a key like it.
const pendingKey = "_ocr_pending"

// markPending notes that user has an image waiting for OCR. A failure is
// logged: the image is still read now, only not after a restart.
func (s *Service) markPending(ctx context.Context, user string) {
	_, err := s.pendingIndex(ctx, func(m map[string]int64) { m[user] = s.Now().Unix() })
	if err != nil {
		s.Log.Warn("OCR queue not recorded; a restart would not take it up", "user", user, "err", err)
	}
}

func (s *Service) unmarkPending(ctx context.Context, user string) {
	if _, err := s.pendingIndex(ctx, func(m map[string]int64) { delete(m, user) }); err != nil {
		s.Log.Warn("OCR queue not updated", "err", err)
	}
}

// pendingIndex applies fn to the record of people with pending images.
func (s *Service) pendingIndex(ctx context.Context, fn func(map[string]int64)) (map[string]int64, error) {
	var out map[string]int64
	for attempt := 0; attempt < 20; attempt++ {
		e, err := s.ledger.store.Get(ctx, pendingKey)
		if err != nil {
			return nil, err
		}
		m := map[string]int64{}
		if len(e.Data) > 0 {
			if err := json.Unmarshal(e.Data, &m); err != nil {
				m = map[string]int64{}
			}
		}
		if fn == nil {
			return m, nil
		}
		n := len(m)
		fn(m)
		data, _ := json.Marshal(m)
		if len(m) == n && (n == 0 || bytes.Equal(data, e.Data)) {
			return m, nil // unchanged: no write
		}
		_, err = s.ledger.store.Put(ctx, pendingKey, data, e.Rev)
		if errors.Is(err, domain.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = m
		return out, nil
	}
	return nil, domain.ErrConflict
}

// Resume takes up the images left waiting for OCR when the bot last
// stopped: they are read one after another in the background, and the
// people told as usual. It returns how many were queued.
func (s *Service) Resume(ctx context.Context) (int, error) {
	if s.OCR == nil || !s.OCR.Available() {
		return 0, nil
	}
	users, err := s.pendingIndex(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("evidence: resume OCR: %w", err)
	}
	type job struct {
		user string
		item Item
	}
	var jobs []job
	for user := range users {
		l, _, err := s.ledger.get(ctx, user)
		if err != nil {
			return 0, fmt.Errorf("evidence: resume OCR: %w", err)
		}
		if l.pending() == 0 {
			s.unmarkPending(ctx, user)
			continue
		}
		for _, it := range l.Items {
			if it.OCR == OCRPending {
				jobs = append(jobs, job{user, it})
			}
		}
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, j := range jobs {
			s.readAndTell(j.user, j.item)
		}
	}()
	s.Log.Info("OCR taken up again after a restart", "images", len(jobs))
	return len(jobs), nil
}

// albumCovered is read's answer for an album's item: the album's summary
// will tell what was found.
const albumCovered = "\x00album"

// summary tells the person what OCR found in one item.
func summary(n int, f *facts.Facts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "第 %d 份证据里找到的信息：", n)
	found := false
	if f != nil {
		for _, row := range factRows(f) {
			if len(row.values) > 0 {
				b.WriteString("\n" + row.label + "：" + strings.Join(row.values, "、"))
				found = true
			}
		}
	}
	if !found {
		b.WriteString("\n没有找到电话、平台或日期。")
		return b.String()
	}
	b.WriteString("\n" + msgCheck)
	return b.String()
}

// Wait blocks until background OCR is done (tests, shutdown).
func (s *Service) Wait() { s.wg.Wait() }

// Command is the action of /evidence and of flow steps with action:
// evidence: list the ledger, remove one item ("删除 3"), or export it all
// ("导出").
func (s *Service) Command(ctx context.Context, user string, a domain.Action, st flow.State) ([]domain.Reply, error) {
	op := strings.TrimSpace(a.With["op"])
	verb, arg, _ := strings.Cut(op, " ")
	switch strings.ToLower(verb) {
	case "删除", "delete", "del", "rm":
		return s.remove(ctx, user, strings.TrimSpace(arg))
	case "导出", "export", "zip":
		return s.export(ctx, user, st)
	case "核对", "facts":
		return s.facts(ctx, user)
	}
	return s.list(ctx, user)
}

// facts sums up what was read from all the evidence, for the person to
// confirm or correct before it goes into a complaint.
func (s *Service) facts(ctx context.Context, user string) ([]domain.Reply, error) {
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	var phones, hotlines, platforms, conduct []string
	pending := 0
	add := collector{}.add
	for _, it := range l.Items {
		if it.OCR == OCRPending {
			pending++
		}
		if it.Facts == nil {
			continue
		}
		for _, p := range it.Facts.Phones {
			if p.Hotline() {
				add(&hotlines, p.Number)
			} else {
				add(&phones, p.Number)
			}
		}
		for _, p := range it.Facts.Platforms {
			add(&platforms, p)
		}
		for _, c := range it.Facts.Conduct {
			add(&conduct, c.Label)
		}
	}
	if len(l.Items) == 0 {
		return notice("还没有收到证据，所以没有可核对的信息。可以先把截图发给我，或者直接告诉我。"), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "从 %d 份证据里读出：", len(l.Items))
	for _, row := range []struct {
		label string
		vs    []string
	}{{"号码", phones}, {"平台", platforms}, {"可能涉及", conduct}} {
		if len(row.vs) == 0 {
			row.vs = []string{"（没有找到）"}
		}
		b.WriteString("\n" + row.label + "：" + strings.Join(row.vs, "、"))
	}
	if len(hotlines) > 0 {
		fmt.Fprintf(&b, msgHotlines, strings.Join(hotlines, "、"))
	}
	if pending > 0 {
		fmt.Fprintf(&b, "\n还有 %d 份正在识别，稍后可以再核对一次。", pending)
	}
	return notice(b.String()), nil
}

func (s *Service) list(ctx context.Context, user string) ([]domain.Reply, error) {
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if len(l.Items) == 0 {
		return notice(msgEmpty), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "你的证据清单（共 %d 份）：", len(l.Items))
	for _, it := range l.Items {
		fmt.Fprintf(&b, "\n%d. %s %s %s 指纹 %s", it.N, it.Received.In(beijing).Format("2006-01-02 15:04"), typeLabel(it.Type), sizeText(it.Size), it.SHA256[:8])
		if it.Facts != nil && len(it.Facts.Phones) > 0 {
			fmt.Fprintf(&b, "，电话 %s", it.Facts.Phones[0].Number)
			if len(it.Facts.Phones) > 1 {
				fmt.Fprintf(&b, " 等 %d 个", len(it.Facts.Phones))
			}
		}
		if it.Facts != nil && len(it.Facts.Platforms) > 0 {
			fmt.Fprintf(&b, "，平台 %s", strings.Join(it.Facts.Platforms, "、"))
		}
		if it.OCR == OCRPending {
			b.WriteString("（文字识别中）")
		}
	}
	b.WriteString("\n\n删除某一份：/evidence 删除 编号\n导出全部（压缩包）：/evidence 导出")
	return notice(b.String()), nil
}

var beijing = time.FixedZone("CST", 8*3600)

func typeLabel(name string) string {
	if name == TypeText {
		return "文字消息"
	}
	if t, ok := typeByName(name); ok {
		return t.Label
	}
	return "文件"
}

func (s *Service) remove(ctx context.Context, user, arg string) ([]domain.Reply, error) {
	n, err := strconv.Atoi(strings.TrimSpace(halfWidthDigits(arg)))
	if err != nil {
		return notice(fmt.Sprintf(msgNoSuchItem, arg)), nil
	}
	var gone Item
	_, err = s.ledger.update(ctx, user, func(l *Ledger) error {
		it := l.number(n)
		if it == nil {
			return ErrNotFound
		}
		gone = *it
		kept := l.Items[:0]
		for _, x := range l.Items {
			if x.N != n {
				kept = append(kept, x)
			}
		}
		l.Items = kept
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return notice(fmt.Sprintf(msgNoSuchItem, arg)), nil
	}
	if err != nil {
		return notice(msgSaveFailed), err
	}
	if err := s.Blobs.Remove(ctx, user, gone.SHA256); err != nil && !errors.Is(err, ErrNotFound) {
		return notice(msgSaveFailed), err
	}
	return notice(fmt.Sprintf(msgRemoved, n)), nil
}

func halfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}

// Erase implements chat.Eraser: the ledger first, then every file of the
// person (so a ledger never lists files that are gone, whichever step
// fails), and their place in the OCR queue; it counts the files and the
// ledger. Each step may be run again (the runner resumes an unfinished
// erasure).
func (s *Service) Erase(ctx context.Context, user string) (int, error) {
	m, err := s.ledger.store.Delete(ctx, user)
	if err != nil {
		return 0, fmt.Errorf("evidence: erase ledger: %w", err)
	}
	n, err := s.Blobs.RemoveUser(ctx, user)
	if err != nil {
		return m + n, err
	}
	if _, err := s.pendingIndex(ctx, func(p map[string]int64) { delete(p, user) }); err != nil {
		return m + n, fmt.Errorf("evidence: erase OCR queue entry: %w", err)
	}
	return n + m, nil
}

// Sweep removes the files of people idle longer than retention; their
// ledgers expire in the session store after the same time.
func (s *Service) Sweep(ctx context.Context, retention time.Duration) (int, error) {
	return s.Blobs.RemoveIdle(ctx, s.Now().Add(-retention))
}

// Summary gives what the ledger contributes to complaint drafts: one row per
// item (no third parties' numbers in it), and the dates, conduct and
// platforms read from the evidence.
func (s *Service) Summary(ctx context.Context, user string) (draft.EvidenceSummary, error) {
	l, _, err := s.ledger.get(ctx, user)
	if err != nil {
		return draft.EvidenceSummary{}, err
	}
	var sum draft.EvidenceSummary
	add := collector{}.add
	for _, it := range l.Items {
		row := draft.EvidenceRow{N: it.N, Time: it.Received, Type: typeLabel(it.Type), SHA256: it.SHA256}
		if it.ForwardDate != nil {
			// A forwarded message carries its own date (from Telegram, not
			// read by a machine): that is when it was sent.
			row.Said = it.ForwardDate.In(beijing).Format("2006-01-02 15:04")
		}
		if it.OCR == OCRPending {
			sum.Pending++
		}
		if it.Facts != nil {
			var labels []string
			relatives := ""
			for _, c := range it.Facts.Conduct {
				labels = append(labels, c.Label)
				add(&sum.Conduct, c.Label)
				if c.ID == "relatives-info" {
					relatives += c.Evidence
				}
			}
			for _, p := range it.Facts.Phones {
				// A number shown as a relative's ("你老婆的电话…") is not the
				// collector's: it must never go into a complaint. Nor is a
				// hotline, unless the person types it in as the collector's.
				if !strings.Contains(relatives, p.Number) && !p.Hotline() {
					add(&sum.Phones, p.Number)
				}
			}
			row.Note = strings.Join(labels, "、")
			for _, d := range it.Facts.Dates {
				add(&sum.Dates, d)
			}
			for _, p := range it.Facts.Platforms {
				add(&sum.Platforms, p)
			}
		}
		sum.Rows = append(sum.Rows, row)
	}
	return sum, nil
}
