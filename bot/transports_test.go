package main

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeTransport serves until ctx ends, or fails at once when told to.
type fakeTransport struct {
	fail    error
	stopped chan struct{}
}

func (f *fakeTransport) Run(ctx context.Context) error {
	defer close(f.stopped)
	if f.fail != nil {
		return f.fail
	}
	<-ctx.Done()
	return nil
}

// Every transport runs at once; one failing stops the others, and runAll
// waits for all of them and reports the failure.
func TestRunAllSharesShutdown(t *testing.T) {
	boom := errors.New("web: listen: address in use")
	ok, bad := &fakeTransport{stopped: make(chan struct{})}, &fakeTransport{fail: boom, stopped: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- runAll(context.Background(), []door{{"tg", ok}, {"web", bad}}) }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Errorf("runAll = %v, want the failing transport's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runAll did not return after a transport failed")
	}
	for name, f := range map[string]*fakeTransport{"tg": ok, "web": bad} {
		select {
		case <-f.stopped:
		default:
			t.Errorf("%s still running after runAll returned", name)
		}
	}
}

// Cancelling the process's context stops every transport; none failing
// is no error.
func TestRunAllStopsAllOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a, b := &fakeTransport{stopped: make(chan struct{})}, &fakeTransport{stopped: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- runAll(ctx, []door{{"tg", a}, {"web", b}}) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runAll = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runAll did not return after cancel")
	}
	<-a.stopped
	<-b.stopped
}
