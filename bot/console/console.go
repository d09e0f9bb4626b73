// Package console is the terminal transport: it reads lines from a reader,
// passes them to the conversation runner and prints the replies, with
// choices as numbered options. Piped input gives a scriptable dialogue.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/anning-bot/anning/bot/domain"
)

// Console is one terminal conversation.
type Console struct {
	In          io.Reader
	Out         io.Writer
	User        string // session key; stable so a Redis-backed chat can resume
	Interactive bool   // a person at a terminal: show a prompt; else echo input
	Log         *slog.Logger
	SaveDir     string // where documents the bot sends are written (Documents.For(User)); default "."
	// Settle, when set, waits for work still under way (the OCR of a file
	// just sent) before the goodbye, so its result is not printed after it.
	Settle func()

	outMu sync.Mutex // turns and notifications print whole
}

// The console's own words: the terminal has commands the chat has not.
const (
	banner       = "安宁 · 终端对话。输入 /help 查看命令，/file 路径 提交证据文件，/quit 或 Ctrl+D 退出。"
	msgHelpExtra = "在终端里还可以用：\n/file 文件路径  提交截图、录音等证据文件（可以把文件拖进窗口）\n/quit  退出"
	msgFileUsage = "用法：/file 文件路径，例如 /file ~/Pictures/截图.png。可以把文件直接拖进这个窗口。"
	msgNoFile    = "找不到这个文件：%s\n请检查路径，或者把文件直接拖进这个窗口。没有提交任何内容。"
	msgNotAFile  = "%s 是一个文件夹。请一次提交一个文件。"
)

// Run chats until the input ends, /quit is typed or ctx is done.
func (c *Console) Run(ctx context.Context, h domain.Handler) error {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	in := bufio.NewReader(c.In)
	c.printf("%s\n", banner)
	// Greet a new person, or pick up a saved conversation where it stopped.
	// A person at a terminal is greeted at once; piped input is read first,
	// so a script that starts with /start is not greeted twice.
	open := domain.Event{Kind: domain.EventOpen}
	if c.Interactive {
		c.turn(ctx, h, open)
	}
	first, err := readLine(in)
	if !c.Interactive && !strings.HasPrefix(strings.TrimSpace(first), "/start") {
		c.turn(ctx, h, open)
	}
	if err != nil && first == "" {
		return nil // nothing typed at all
	}
	line := first
	for {
		if !c.Interactive {
			c.printf("\n> %s\n", line)
		}
		switch strings.TrimSpace(line) {
		case "/quit", "/exit":
			c.settle()
			c.printf("\n再见。需要时随时回来。\n")
			return nil
		}
		if ev, ok := c.event(line); ok {
			c.turn(ctx, h, ev)
		}
		if ctx.Err() != nil {
			return nil
		}
		var err error
		line, err = readLine(in)
		if err != nil && line == "" {
			if errors.Is(err, io.EOF) {
				c.settle()
				c.printf("\n")
				return nil
			}
			return fmt.Errorf("console: read input: %w", err)
		}
	}
}

// event turns a typed line into an event: "/file PATH" submits a file as
// evidence (what sending a photo is on Telegram), anything else is text.
// A /file the console cannot open is answered here, and no event is made:
// nothing reaches the conversation, and nothing is lost.
func (c *Console) event(line string) (domain.Event, bool) {
	arg, ok := strings.CutPrefix(strings.TrimSpace(line), "/file")
	if !ok || arg != "" && arg[0] != ' ' {
		return domain.Event{Kind: domain.EventText, Text: line}, true
	}
	path := filePath(arg)
	if path == "" {
		c.printf("\n%s\n", msgFileUsage)
		return domain.Event{}, false
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		c.printf("\n"+msgNoFile+"\n", path)
		return domain.Event{}, false
	case fi.IsDir():
		c.printf("\n"+msgNotAFile+"\n", path)
		return domain.Event{}, false
	}
	a := &domain.Attachment{ID: path, Name: filepath.Base(path), Size: fi.Size()}
	return domain.Event{Kind: domain.EventAttachment, Attachment: a}, true
}

// filePath reads the path after /file as a terminal gives it when a file is
// dragged in or typed: quoted ('…' or "…"), with backslash-escaped spaces,
// as a file:// address, or starting with ~ for the home folder.
func filePath(arg string) string {
	p := strings.TrimSpace(arg)
	if _, err := os.Stat(p); err == nil {
		return p // as typed, e.g. C:\\Users\\me\\a.png
	}
	if len(p) >= 2 && (p[0] == '\'' || p[0] == '"') && p[len(p)-1] == p[0] {
		p = p[1 : len(p)-1]
	} else if strings.Contains(p, "\\") {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			if p[i] == '\\' && i+1 < len(p) {
				i++
			}
			b.WriteByte(p[i])
		}
		p = b.String()
	}
	if u, err := url.Parse(p); err == nil && u.Scheme == "file" {
		p = u.Path
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	return p
}

// turn runs one event and prints the replies; a failed turn has already
// produced a reply asking the person to resend, so the chat goes on.
func (c *Console) turn(ctx context.Context, h domain.Handler, ev domain.Event) {
	replies, err := h.Handle(ctx, c.User, ev)
	if err != nil {
		c.Log.Error("turn failed", "err", err)
	}
	if ev.Kind == domain.EventText && strings.EqualFold(strings.TrimSpace(ev.Text), "/help") && len(replies) > 0 {
		// The terminal's own commands, right under the chat's.
		replies = append(replies[:1:1], append([]domain.Reply{{Kind: domain.ReplyNotice, Text: msgHelpExtra}}, replies[1:]...)...)
	}
	c.print(replies)
}

func (c *Console) settle() {
	if c.Settle != nil {
		c.Settle()
	}
}

// printf writes to the terminal whole, never interleaved with a notification.
func (c *Console) printf(format string, args ...any) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	fmt.Fprintf(c.Out, format, args...)
}

func (c *Console) print(replies []domain.Reply) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	for i, r := range replies {
		if r.File != nil {
			replies[i].Text += "\n" + c.save(r.File)
		}
	}
	fmt.Fprint(c.Out, "\n"+Render(replies))
	if c.Interactive {
		fmt.Fprint(c.Out, "\n> ")
	}
}

// save writes a document the bot sent next to the person, under its own name
// (never a path from elsewhere).
func (c *Console) save(f *domain.File) string {
	dir := c.SaveDir
	if dir == "" {
		dir = "."
	}
	path := filepath.Join(dir, filepath.Base(f.Name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "（文件没有保存成功：" + err.Error() + "）"
	}
	if err := writeFile(path, f); err != nil {
		return "（文件没有保存成功：" + err.Error() + "）"
	}
	return "（文件已保存到 " + path + "）"
}

// Notify prints replies that come outside a turn (e.g. an OCR result).
func (c *Console) Notify(_ context.Context, _ string, replies []domain.Reply) error {
	c.print(replies)
	return nil
}

// Fetch opens the file a /file command named.
func (c *Console) Fetch(_ context.Context, _ string, a *domain.Attachment) (io.ReadCloser, error) {
	f, err := os.Open(a.ID)
	if err != nil {
		return nil, fmt.Errorf("console: open %s: %w", a.Name, err)
	}
	return f, nil
}

// readLine reads one line of any length, without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	s, err := r.ReadString('\n')
	return strings.TrimRight(s, "\r\n"), err
}

// Render formats replies as the console shows them; conversation tests match
// their expectations against this text.
func Render(replies []domain.Reply) string {
	var b strings.Builder
	for i, r := range replies {
		if i > 0 {
			b.WriteString("\n")
		}
		switch r.Kind {
		case domain.ReplyCitation:
			b.WriteString("【法条】")
		case domain.ReplyChannel:
			b.WriteString("【渠道】")
		case domain.ReplyCrisis:
			b.WriteString("【重要】")
		}
		b.WriteString(r.Text)
		b.WriteString("\n")
		for j, label := range r.Choices {
			fmt.Fprintf(&b, "  %d. %s\n", j+1, label)
		}
	}
	return b.String()
}

// Documents is the folder where the console keeps the documents the bot
// sends a person (drafts, the evidence export), one subfolder per person,
// beside their other data rather than in the current folder; /delete
// removes it (it is one of the runner's erasers).
type Documents struct {
	Dir string // e.g. ./data/documents
}

// For returns the folder of one person's documents.
func (d Documents) For(user string) string {
	return filepath.Join(d.Dir, folderName(user))
}

// Erase removes a person's documents and reports how many files went.
func (d Documents) Erase(_ context.Context, user string) (int, error) {
	dir := d.For(user)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("console: list documents: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return 0, fmt.Errorf("console: erase documents: %w", err)
	}
	return len(entries), nil
}

// folderName keeps a user id to a safe folder name.
func folderName(user string) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, user)
	if name == "" || strings.Trim(name, "_") == "" {
		return "_"
	}
	return name
}

// writeFile copies the document to path as it is read (an export may be
// larger than what should be held in memory).
func writeFile(path string, f *domain.File) error {
	r, err := f.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
