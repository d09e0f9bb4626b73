package flow

import (
	"fmt"
	"time"
)

// Storage says where a deployment keeps people's data, for the privacy
// notice.
type Storage struct {
	Sessions string // "redis" or "memory"
	Evidence string // "dir" or "s3"
}

// Globals describes, in the words of the privacy notice, how long and
// where this deployment keeps people's data: an idle session (SESSION_TTL),
// evidence files (DATA_RETENTION), and the replies kept until delivered.
func Globals(sessionTTL, retention, replies time.Duration, where Storage) map[string]string {
	kept := "运营方服务器上的数据库"
	if where.Sessions == "memory" {
		kept = "运行这个机器人的电脑的内存里（程序重启就清空）"
	}
	if where.Evidence == "s3" {
		kept += "；证据文件存放在运营方的对象存储里"
	} else {
		kept += "；证据文件存放在运营方服务器的文件夹里"
	}
	return map[string]string{
		"keep_session":  chineseDuration(sessionTTL),
		"keep_evidence": chineseDuration(retention),
		"keep_replies":  chineseDuration(replies),
		"kept_where":    kept,
	}
}

// DefaultGlobals are the globals of the default configuration: a 30-day
// session, 180 days of evidence, replies kept 24 hours, in memory.
func DefaultGlobals() map[string]string {
	return Globals(720*time.Hour, 4320*time.Hour, 24*time.Hour, Storage{Sessions: "memory", Evidence: "dir"})
}

// chineseDuration writes 720h as 30天 and 24h as 24小时; 0 means kept
// until erased.
func chineseDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "直到你删除为止"
	case d%(24*time.Hour) == 0 && d >= 72*time.Hour:
		return fmt.Sprintf("%d天", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%d小时", (d+time.Hour/2)/time.Hour)
	default:
		return fmt.Sprintf("%d分钟", (d+time.Minute/2)/time.Minute)
	}
}
