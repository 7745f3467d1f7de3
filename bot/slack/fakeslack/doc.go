// Package fakeslack is a fake Slack for tests: the Web API, Socket Mode, signed HTTP
// deliveries (slash commands, interactivity, events) and response_url endpoints, served
// over plain HTTP on 127.0.0.1 so that the real slack-go client, or the pmbot binary in
// another process, can be pointed at it (slack.OptionAPIURL(s.APIURL()), or the
// slack.api_url setting).
//
// Start one per test with New(t, Options{…}) (or Start and Close outside tests), point
// the client at APIURL(), drive it, and inspect what Slack would have shown: Messages,
// Ephemerals, Responses, Calls, LateAcks, Violations.
//
// It is not a permissive stub: it enforces the platform contract written down in
// shared/docs/platform-contract.md (PART A, and the checklist of PART C), so that a bot
// that breaks the contract fails its tests.
//
// # Web API (contract A1, A5, A6, A8)
//
//   - Every method needs a token, as an "Authorization: Bearer" header or a "token" form
//     field, of the right type: the bot token (xoxb-) for chat.*, conversations.* and
//     auth.test, the app-level token (xapp-) for apps.connections.open only. No token
//     answers not_authed, an unknown or wrong-type token invalid_auth (a wrong-type
//     token is also a contract violation, see below).
//   - Bodies may be form-encoded (what slack-go sends for most methods, with blocks,
//     metadata and attachments as JSON strings), JSON (with a Bearer header), multipart,
//     or a GET query string.
//   - chat.postMessage: channel_not_found, is_archived, not_in_channel (unless the channel
//     is public and Options.ChatWritePublic is set), no_text, invalid_blocks_format,
//     invalid_blocks (Block Kit limits of A6: 50 blocks, text lengths, element counts,
//     known block and element types, unique block_id, text object types),
//     msg_blocks_too_long (Options.MaxBlocksChars, default 12 000), invalid_metadata_format
//     (metadata must be {"event_type": string, "event_payload": object}),
//     markdown_text_conflict, too_many_attachments (ValidateBlocks applies the same
//     Block Kit rules without a server); text over 40 000 characters is
//     truncated, not rejected; ts is "<seconds>.<6 digits>", unique and increasing.
//   - Rate limits (A1, PART C 5): token buckets per channel for chat.postMessage (default 1
//     per second, burst 3), per workspace for chat.postMessage (default 600 per minute)
//     and per method for the others, measured on Options.Clock. A limited call answers
//     HTTP 429 with an integer Retry-After header and {"ok":false,"error":"ratelimited"},
//     which slack-go surfaces as *slack.RateLimitedError.
//   - conversations.history hides message metadata unless include_all_metadata is true
//     (A8, PART C 7). The fake hides the whole metadata object, which is stricter than
//     hiding only event_payload: a bot that passes here works either way.
//   - Also served: chat.postEphemeral, chat.update, chat.delete, conversations.info,
//     conversations.join (public channels only), auth.test, apps.connections.open.
//
// # Socket Mode (A4, PART C 2 and 6)
//
// apps.connections.open hands out a fresh single-use ws:// URL. On connect the fake sends
// the hello frame, pings the client every Options.PingInterval (slack-go drops a
// connection that is not pinged for 30 s), wraps deliveries in envelopes
// (SendSlashCommand, ClickButton, SendEvent) and waits for the acknowledgement frame
// {"envelope_id": …, "payload"?: …}. An acknowledgement later than Options.AckDeadline
// (3 s, measured on Options.Clock) is recorded (LateAcks); a frame of 20 480 bytes or
// more is dropped as Slack drops it; a payload is only accepted where
// accepts_response_payload is true, and is validated as a message. Disconnect sends a
// disconnect frame and expects the client to reconnect through apps.connections.open;
// DropConnections cuts sockets abruptly.
//
// # HTTP deliveries and response_url (A2, A3, PART C 1 and 3)
//
// PostSlashCommand, PostInteraction and PostEvent send what Slack sends to a bot's HTTP
// endpoint, signed with the v0 HMAC-SHA256 scheme (Sign), and measure whether the answer
// came within the deadline; SignOptions produce wrong secrets, stale timestamps, tampered
// bodies and missing headers for negative tests. Every invocation gets a response_url on
// the fake that accepts at most 5 posts within 30 minutes; past that it answers HTTP 404
// with {"ok":false,"error":"used_url"} or {"ok":false,"error":"expired_url"}.
//
// # Violations
//
// What the bot did wrong, as opposed to what the environment did to it, is recorded as a
// Violation: malformed messages, wrong token types, late or oversized acknowledgements,
// acknowledgements for unknown envelopes, over-used response_urls, late HTTP answers,
// calls made before a Retry-After elapsed, unknown API methods, reused Socket Mode URLs,
// more than Options.MaxConnections sockets at once, deliveries never acknowledged, and
// messages that would notify a whole channel (<!channel>, <!here>, <!everyone>,
// user groups: the bot's promise 3). Unless Options.AllowViolations is set, New's
// cleanup fails the test for every violation left; a test that provokes one on purpose
// takes it with TakeViolations. Errors caused by the environment (unknown channel, not
// in channel, archived, rate limits, injected faults) are answered, not reported.
//
// # Waiting
//
// Nothing in this package needs sleeps: Wait, WaitMessages, WaitEphemerals,
// WaitResponses, WaitConnected and WaitSockets block on state changes until a condition
// holds or the context ends; deliveries block until acknowledged. Rate limits,
// timestamps and deadlines read Options.Clock, which a test may drive with a Clock.
//
// # Not faked
//
// Events API redelivery (retry_attempt) after a missed deadline, conversations.replies,
// views.*, files.*, users.*, token rotation, Enterprise Grid, and the exact texts of
// Slack's error details.
package fakeslack
