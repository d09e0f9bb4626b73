package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimits rate-limits requests and counts new sessions per client
// address (an IPv6 client is its /64: one household or phone).
type addrLimits struct {
	mu       sync.Mutex
	limiters map[netip.Addr]*addrState
	rate     rate.Limit
	burst    int
	perHour  int // new sessions per address per hour
	now      func() time.Time
}

type addrState struct {
	limit   *rate.Limiter
	hour    time.Time // start of the counting window
	created int       // sessions created in it
	used    time.Time
}

// maxAddrs bounds the addresses remembered; idle ones go first.
const maxAddrs = 100_000

func (a *addrLimits) state(ip netip.Addr) *addrState {
	now := a.now()
	st, ok := a.limiters[ip]
	if !ok {
		if len(a.limiters) >= maxAddrs {
			for k, v := range a.limiters {
				if now.Sub(v.used) > time.Hour {
					delete(a.limiters, k)
				}
			}
			if len(a.limiters) >= maxAddrs {
				clear(a.limiters) // under a flood of addresses: forget all rather than grow
			}
		}
		st = &addrState{limit: rate.NewLimiter(a.rate, a.burst), hour: now}
		a.limiters[ip] = st
	}
	st.used = now
	return st
}

// allow takes one request of the address.
func (a *addrLimits) allow(ip netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state(ip).limit.AllowN(a.now(), 1)
}

// newSession counts a session created by the address; false past the cap.
func (a *addrLimits) newSession(ip netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.state(ip)
	now := a.now()
	if now.Sub(st.hour) >= time.Hour {
		st.hour, st.created = now, 0
	}
	if st.created >= a.perHour {
		return false
	}
	st.created++
	return true
}

// proxies are the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto are believed.
type proxies []netip.Prefix

func (p proxies) trusted(ip netip.Addr) bool {
	for _, pre := range p {
		if pre.Contains(ip) {
			return true
		}
	}
	return false
}

// client is the address a request came from: the peer, or, when the peer
// is a trusted proxy, the last address in X-Forwarded-For that is not one.
func (p proxies) client(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	ip = ip.Unmap()
	if p.trusted(ip) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			ip = hop.Unmap()
			if !p.trusted(ip) {
				break
			}
		}
	}
	if ip.Is6() {
		pre, _ := ip.Prefix(64)
		return pre.Addr()
	}
	return ip
}

// secure reports whether the browser reached us over TLS: directly, or as
// a trusted proxy says.
func (p proxies) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && p.trusted(ip.Unmap()) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
