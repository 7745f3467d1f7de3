package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/config"
)

// newSlack builds the Slack adapter from the configuration.
func (a *app) newSlack() *slack.Adapter {
	s := a.cfg.Slack
	return slack.New(slack.Options{
		BotToken: s.BotToken.Value(), AppToken: s.AppToken.Value(), SigningSecret: s.SigningSecret.Value(),
		APIURL: s.API(), Managers: s.Managers, Language: a.cfg.Language,
		Router: a.router, Logger: a.log.With("component", "slack"), WorkspaceGap: s.PostGap(),
	})
}

// checkSlack says which workspace and bot user the configured token posts as.
func checkSlack(ctx context.Context, cfg config.Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := slack.New(slack.Options{BotToken: cfg.Slack.BotToken.Value(), APIURL: cfg.Slack.API()}).Check(ctx)
	if err != nil {
		return "", err
	}
	mode := "Socket Mode"
	if !cfg.Slack.SocketMode() {
		mode = "HTTP, at " + slack.EventsPath + " on " + cfg.ListenAddr()
	}
	return fmt.Sprintf("posts as @%s in %s (%s), %s", id.User, id.Team, id.TeamID, mode), nil
}

// serveNetwork runs what needs the network until ctx ends: Slack's Socket Mode,
// and the HTTP listener (Slack's HTTP mode, /healthz). It returns when all of it
// has stopped and the commands under way were answered.
func (a *app) serveNetwork(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	if a.slack != nil && a.cfg.Slack.SocketMode() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.slack.RunSocketMode(ctx); err != nil {
				errs <- err
			}
		}()
	}
	if addr := a.cfg.ListenAddr(); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		if a.slack != nil && !a.cfg.Slack.SocketMode() {
			mux.Handle(slack.EventsPath, a.slack.Handler(ctx))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		a.log.Info("serving HTTP", "address", ln.Addr().String())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http server: %w", err)
			}
		}()
		go func() {
			defer wg.Done()
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
	}
	wg.Wait()
	if a.slack != nil {
		a.slack.Wait()
	}
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}
