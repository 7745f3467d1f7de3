package fakeslack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// HTTPResult is the bot's answer to an HTTP delivery.
type HTTPResult struct {
	Status int
	Header http.Header
	Body   []byte
	// Elapsed is the time the answer took, on the server's clock; Late is Elapsed >
	// Options.AckDeadline.
	Elapsed time.Duration
	Late    bool
	// InvocationID, ResponseURL and TriggerID identify the command or click.
	InvocationID string
	ResponseURL  string
	TriggerID    string
	// Problems are the contract violations found in the answer (also recorded as
	// Violations). Answers to altered deliveries (SignOptions) are not checked.
	Problems []string
}

const formContentType = "application/x-www-form-urlencoded"

// PostSlashCommand sends a slash command to the bot's HTTP endpoint as Slack does
// (A3: a signed form POST with the fields in Slack's order) and checks the answer:
// HTTP 200 within the deadline, and a valid message if the body is not empty (shown as
// the reply, ephemeral unless response_type is in_channel). The request is signed at
// the server clock's time: with a manual Clock, keep it near the real time, or a bot
// verifying with the real clock rejects the timestamp as stale (as it should).
func (s *Server) PostSlashCommand(ctx context.Context, endpointURL string, cmd SlashCommand, opts ...SignOption) (HTTPResult, error) {
	fields, inv, err := s.slashCommandFields(cmd)
	if err != nil {
		return HTTPResult{}, err
	}
	return s.postDelivery(ctx, endpointURL, formContentType, []byte(encodeFields(fields)), inv, true, opts)
}

// PostInteraction sends a button click to the bot's HTTP interactivity endpoint as
// Slack does (a signed form POST with one field, payload, holding the block_actions
// JSON) and checks that it is answered with HTTP 200 within the deadline.
func (s *Server) PostInteraction(ctx context.Context, endpointURL string, click ButtonClick, opts ...SignOption) (HTTPResult, error) {
	payload, inv, err := s.blockActionsPayload(click)
	if err != nil {
		return HTTPResult{}, err
	}
	body := encodeFields([]field{{"payload", marshalPayload(payload)}})
	return s.postDelivery(ctx, endpointURL, formContentType, []byte(body), inv, false, opts)
}

// PostEvent sends an Events API event (the inner event) to the bot's HTTP endpoint,
// wrapped in an event_callback, as a signed JSON POST, and checks that it is answered
// with HTTP 200 within the deadline.
func (s *Server) PostEvent(ctx context.Context, endpointURL string, event any, opts ...SignOption) (HTTPResult, error) {
	body := marshalPayload(s.eventCallback(event))
	return s.postDelivery(ctx, endpointURL, "application/json", []byte(body), nil, false, opts)
}

func (s *Server) postDelivery(ctx context.Context, endpointURL, contentType string, body []byte, inv *invocation, replyInBody bool, opts []SignOption) (HTTPResult, error) {
	cfg := signConfig{secret: s.opts.SigningSecret, at: s.now()}
	for _, o := range opts {
		o(&cfg)
	}
	req, err := cfg.request(ctx, endpointURL, contentType, body)
	if err != nil {
		return HTTPResult{}, err
	}
	start := s.now()
	resp, err := s.client.Do(req)
	if err != nil {
		return HTTPResult{}, fmt.Errorf("fakeslack: post to %s: %w", endpointURL, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return HTTPResult{}, fmt.Errorf("fakeslack: read answer of %s: %w", endpointURL, err)
	}
	res := HTTPResult{
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    respBody,
		Elapsed: s.now().Sub(start),
	}
	if inv != nil {
		res.InvocationID, res.ResponseURL, res.TriggerID = inv.id, inv.responseURL, inv.triggerID
	}
	res.Late = res.Elapsed > s.opts.AckDeadline
	if cfg.altered {
		return res, nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	problem := func(rule, format string, args ...any) {
		res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		s.violate(rule, format, args...)
	}
	if res.Late {
		problem("A3 ack deadline", "HTTP delivery to %s answered after %s (deadline %s)", endpointURL, res.Elapsed, s.opts.AckDeadline)
	}
	if res.Status != http.StatusOK {
		problem("A3 acknowledgement", "validly signed HTTP delivery to %s answered with HTTP %d", endpointURL, res.Status)
		return res, nil
	}
	if !replyInBody || len(bytes.TrimSpace(respBody)) == 0 {
		return res, nil
	}
	reply := respBody
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
		// A plain-text answer is shown as an ephemeral text message.
		reply = mustJSON(map[string]string{"text": string(respBody)})
	}
	if e := s.replyToInvocation(inv, reply, ViaHTTPResponse, !res.Late); e != nil {
		problem(ruleFor(e.code), "answer to the slash command rejected: %s", e.detail())
	}
	return res, nil
}
