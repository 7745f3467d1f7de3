package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pmbot/pmbot/bot/discord"
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
	a := slack.New(slack.Options{BotToken: cfg.Slack.BotToken.Value(), AppToken: cfg.Slack.AppToken.Value(), APIURL: cfg.Slack.API()})
	id, err := a.Check(ctx)
	if err != nil {
		return "", err
	}
	if cfg.Slack.SocketMode() {
		if err := a.CheckSocketMode(ctx); err != nil {
			return "", err
		}
	}
	mode := "Socket Mode"
	if !cfg.Slack.SocketMode() {
		mode = "HTTP, at " + slack.EventsPath + " on " + cfg.ListenAddr()
	}
	return fmt.Sprintf("posts as @%s in %s (%s), %s", id.User, id.Team, id.TeamID, mode), nil
}

// serveNetwork runs what needs the network until ctx ends: Slack's Socket Mode,
// Discord's gateway, and the HTTP listener (Slack's HTTP mode, Discord's
// interactions endpoint, /healthz). A part that fails is
// logged and the rest goes on: announcements do not need commands. It returns when
// all of it has stopped and the commands under way were answered.
func (a *app) serveNetwork(ctx context.Context) {
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		if a.slack != nil {
			a.slack.Wait()
		}
		if a.discord != nil {
			a.discord.Wait()
		}
	}()
	if a.discord != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.discord.RunGateway(ctx); err != nil {
				a.log.Error("Discord commands will not be answered over the gateway", "err", err)
			}
		}()
	}
	if a.slack != nil && a.cfg.Slack.SocketMode() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.slack.RunSocketMode(ctx); err != nil {
				a.log.Error("Slack commands will not be answered: Socket Mode stopped", "err", err)
			}
		}()
	}
	addr := a.cfg.ListenAddr()
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	if a.slack != nil && !a.cfg.Slack.SocketMode() {
		mux.Handle(slack.EventsPath, a.slack.Handler(ctx))
	}
	if a.discord != nil {
		if h := a.discord.Handler(ctx); h != nil {
			mux.Handle(discord.InteractionsPath, h)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.log.Error("nothing is served over HTTP: the listen address cannot be used", "address", addr, "err", err)
		return
	}
	a.log.Info("serving HTTP", "address", ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("HTTP server stopped", "err", err)
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
