package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// runFloorBot is the floor of the load harness (ANNING_LOAD_BOT=floor): a
// webhook bot that makes exactly the exchanges one AnNing turn makes and
// nothing else. It reads the update, writes a session of the size of a
// real one to Redis in one script call, sends one reply with three buttons
// and answers the webhook with the button press's answer folded in. No
// flow, no per-chat order, no pacing, no logging, no metrics: the CPU it
// spends per turn is what net/http, go-redis, encoding/json and the
// kernel's loopback cost any Go bot on this machine, which the real bot's
// figure can be set against.
func runFloorBot() int {
	env := os.Getenv
	token, endpoint := env("TELEGRAM_BOT_TOKEN"), env("TELEGRAM_API_ENDPOINT")
	opts, err := redis.ParseURL(env("REDIS_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	rdb := redis.NewClient(opts)
	save := redis.NewScript(`redis.call('SET', KEYS[1], ARGV[1], 'EX', 2592000) return 1`)
	session := strings.Repeat("s", 1000) // a person's state after the whole path is ~1 KB
	prefix := env("REDIS_PREFIX") + "floor:"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	urls := map[string]string{} // built once, as the bot does
	for _, m := range []string{"sendMessage", "setWebhook"} {
		urls[m] = fmt.Sprintf(endpoint, token, m)
	}
	post := func(ctx context.Context, name string, form url.Values) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, urls[name], strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var answer struct {
			Ok bool `json:"ok"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || !answer.Ok {
			return fmt.Errorf("floor: %s refused (%v)", name, err)
		}
		return nil
	}
	keyboard := `{"inline_keyboard":[[{"text":"第一步：保存证据","callback_data":"1:0"}],[{"text":"第二步：要求停止","callback_data":"1:1"}],[{"text":"第三步：向平台投诉","callback_data":"1:2"}]]}`
	reply := strings.Repeat("这是一条回复。", 20)

	secret := env("WEBHOOK_SECRET")
	hook, err := url.Parse(env("WEBHOOK_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+hook.Path, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var u struct {
			Message *struct {
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
				Text string `json:"text"`
			} `json:"message"`
			CallbackQuery *struct {
				ID      string `json:"id"`
				Message struct {
					Chat struct {
						ID int64 `json:"id"`
					} `json:"chat"`
				} `json:"message"`
			} `json:"callback_query"`
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || json.Unmarshal(body, &u) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var chat int64
		switch {
		case u.Message != nil:
			chat = u.Message.Chat.ID
		case u.CallbackQuery != nil:
			chat = u.CallbackQuery.Message.Chat.ID
		}
		ctx := r.Context()
		id := strconv.FormatInt(chat, 10)
		if err := save.Run(ctx, rdb, []string{prefix + id}, session).Err(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := post(ctx, "sendMessage", url.Values{"chat_id": {id}, "text": {reply}, "reply_markup": {keyboard}}); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if u.CallbackQuery != nil {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"method": "answerCallbackQuery", "callback_query_id": u.CallbackQuery.ID})
		}
	})
	if err := post(context.Background(), "setWebhook", url.Values{"url": {hook.String()}, "secret_token": {secret}, "max_connections": {"100"}}); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	srv := &http.Server{Addr: env("WEBHOOK_ADDR"), Handler: mux}
	go func() {
		<-signalContext().Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	return 0
}
