// Package fakediscord is a fake Discord for tests: the REST API the bot uses, the
// gateway websocket and Ed25519-signed HTTP interactions, served over plain HTTP on
// 127.0.0.1 so that the real discordgo client, or the pmbot binary in another process,
// can be pointed at it.
//
// Start one per test with New(t, Options{…}) (or Start and Close outside tests), point
// discordgo at it, drive it, and inspect what Discord would have shown: Messages,
// Interaction, Calls, Stats, Violations.
//
// It is not a permissive stub: it enforces the platform contract written down in
// shared/docs/platform-contract.md (PART B, and the Discord checklist of PART C), so
// that a bot that breaks the contract fails its tests.
//
// # Pointing discordgo at the fake (contract B8)
//
// Preferred, no globals, parallel-safe: give the session the fake's HTTP client, which
// sends every request for discord.com to the fake.
//
//	dg, _ := discordgo.New("Bot " + srv.BotToken())
//	dg.Client = srv.HTTPClient()
//	dg.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{…})
//	dg.Open() // GET /gateway answers srv.GatewayURL(), a ws://127.0.0.1 URL
//
// Alternatively srv.UseGlobals(t) reassigns discordgo's package-level variables
// EndpointDiscord (URL()+"/"), EndpointAPI (URL()+"/api/v"+APIVersion+"/") and every
// string derived from them at package initialisation (EndpointGuilds, EndpointChannels,
// EndpointUsers, EndpointGateway, EndpointGatewayBot, EndpointWebhooks,
// EndpointStickers, EndpointStageInstances, EndpointSKUs, EndpointVoice,
// EndpointVoiceRegions, EndpointGuildCreate, EndpointApplications,
// EndpointNitroStickersPacks) and restores them when the test ends; such tests must not
// run in parallel. The closures (EndpointChannelMessages, EndpointInteractionResponse,
// EndpointFollowupMessage, EndpointWebhookMessage, …) read those strings at call time
// and follow. A non-Go client uses APIURL() ("http://127.0.0.1:<port>/api/v9/"; any
// /api/v{N}/ prefix is served), which is what the discord.api_url setting takes.
//
// The gateway URL comes from GET /gateway (what discordgo's Session.Open calls) or GET
// /gateway/bot (which adds "shards": 1 and "session_start_limit"); discordgo appends
// "/?v=9&encoding=json" itself. Set Options.HeartbeatInterval small in tests.
//
// Note: discordgo v0.29.0's MessageSend has no nonce or enforce_nonce field; a bot
// that needs them sends its own JSON with Session.RequestWithBucketID.
//
// # REST (B1, B5, B6)
//
//   - Every route but interaction callbacks and webhook (followup) routes needs
//     "Authorization: Bot <Options.BotToken>"; otherwise 401 {"message": "401:
//     Unauthorized", "code": 0}.
//   - Served: GET /gateway, GET /gateway/bot, GET /users/@me, GET /channels/{id},
//     POST and GET /channels/{id}/messages, GET /channels/{id}/messages/{id},
//     POST /channels/{id}/threads (forum and media posts),
//     POST /channels/{id}/messages/{id}/threads, GET /guilds/{id}/threads/active,
//     POST /interactions/{id}/{token}/callback,
//     GET, PUT and POST /applications/{app}[/guilds/{guild}]/commands,
//     POST /webhooks/{app}/{token}, GET/PATCH/DELETE
//     /webhooks/{app}/{token}/messages/{@original|id}. Any other route answers 404 and
//     is a violation.
//   - Create Message: 404 code 10003 for an unknown channel, 403 code 50001 for a
//     channel with NoAccess, 403 code 50013 with NoSendPermission, 400 with
//     Options.ForumCreateMessageCode (default 50008; Discord also documents 40058) in a
//     forum or media channel (not a violation: posting is a way to learn a channel's
//     type), 400 code 50006 for an empty message, and 400 {"code": 50035, "message":
//     "Invalid Form Body", "errors":
//     {…nested, with "_errors"}} for the B5 limits: content 2000, 10 embeds, title 256,
//     description 4096, 25 fields (name 256, value 1024, both required), footer 2048,
//     author 256, embed URLs 2048, 6000 in total across embeds (trimmed), 5 action rows
//     of 1–5 buttons or one select, label 80, link buttons need url ≤ 512 and no
//     custom_id, others a custom_id of 1–100 unique in the message, select options
//     1–25 (label/value/description 100), min/max_values, allowed_mentions (parse
//     values, users/roles ≤ 100, parse "users" with a users list and likewise roles are
//     exclusive), nonce ≤ 25, ≤ 3 stickers, allowed flags (no EPHEMERAL outside
//     interactions; IS_COMPONENTS_V2 forbids content and embeds).
//   - nonce + enforce_nonce: the same nonce in the same channel within
//     Options.NonceWindow (default 5 minutes, Discord's window is unpublished) returns
//     the earlier message instead of creating another. GET /channels/{id}/messages (the
//     look-up after a crash: limit 1–100, before, after) returns messages newest first
//     and, like Discord's history, without their nonce: a bot finds its own posts by
//     content or component custom_id. GET /channels/{id}/messages/{id} returns one
//     (404 code 10008 Unknown Message when it is not there).
//   - Rate limits (B6), measured on Options.Clock with fixed windows: per channel for
//     Create Message (Options.ChannelRate, default 5 per 5 s), per interaction token for
//     followups, per route and resource for the rest (Options.RouteRate, 50 per s), and
//     a global limit (Options.GlobalRate, 50 per s) from which interaction callbacks
//     and followups are exempt. Every limited response carries X-RateLimit-Limit,
//     -Remaining, -Reset, -Reset-After and -Bucket; a 429 adds X-RateLimit-Scope (and
//     X-RateLimit-Global), an integer Retry-After header and the JSON body {"message",
//     "retry_after" (float seconds), "global"}. A call before a retry_after elapsed is a
//     violation. 401, 403 and 429 answers count toward the 10 000 per 10 minutes
//     invalid-request budget; going over it is a violation.
//
// # Threads and forum posts
//
// The contract has no section on threads; the fake follows Discord's API v10
// documentation. Threads are channels (type 11, with parent_id, owner_id,
// thread_metadata, message_count): GET /channels/{id}, Create Message and history
// work in them, they inherit NoAccess and NoSendPermission from their parent, and a
// message unarchives them. GET /channels/{id} of a forum or media channel
// (Channel.Type 15 or 16) gives available_tags (discordgo.ForumTag JSON) and flags
// (16 REQUIRE_TAG with Channel.RequireTag).
//
//   - POST /channels/{forum}/threads (forum or media channel; discordgo's
//     ForumThreadStartComplex): name 1–100 (required), auto_archive_duration 60, 1440,
//     4320 or 10080 (default 1440), rate_limit_per_user 0–21600, applied_tags ≤ 5
//     ids of the forum's AvailableTags, and message (required), validated like Create
//     Message with only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS as flags; errors
//     are one 400 code 50035 with paths such as "applied_tags.0" or
//     "message.embeds.0.title". An empty message answers 50006, a forum with
//     RequireTag and no tag 40067. A nonce, enforce_nonce or poll in the message is a
//     violation (Discord ignores them: no deduplication) but the post is made. The
//     answer is 201 with the thread and a nested "message", the first message of the
//     thread, which has the thread's id. Rate-limited with Create Message's
//     Options.ChannelRate, per forum. On any other channel type: 400 code 50024 and a
//     violation (in a text channel this route is Start Thread without Message, not
//     faked, which Discord would answer by creating a private thread without the
//     message).
//   - POST /channels/{channel}/messages/{message}/threads (text channels; discordgo's
//     MessageThreadStartComplex): name, auto_archive_duration and rate_limit_per_user
//     as above; 201 with a public thread whose id is the message's. The message then
//     has flag HAS_THREAD (32) and a "thread" object; the thread's history starts with
//     a THREAD_STARTER_MESSAGE (type 21, message_reference to the message), which
//     Messages leaves out. 404 code 10008 for an unknown message, 400 code 160004 for
//     a second thread on the same message (not violations: a bot may find its thread
//     that way after a crash); in a forum, media channel or thread 400 code 50024 and
//     a violation.
//   - GET /guilds/{guild}/threads/active (discordgo's GuildThreadsActive): the
//     unarchived threads of the guild's channels the bot can see, highest id first,
//     and the bot's thread member for each (it joined the threads it created). A guild
//     with no configured channel is unknown: 404 code 10004.
//
// Threads archive after auto_archive_duration without a message, on Options.Clock.
// Threads returns the threads of a channel; Messages and WaitMessages take a thread id.
//
// # Interactions (B2)
//
// SendInteraction dispatches INTERACTION_CREATE over the gateway (type 2 command with
// options, 3 component click with custom_id, 4 autocomplete) and waits for the bot's
// first callback; PostInteraction delivers one to an HTTP endpoint (see below). The
// callback must come within Options.InteractionDeadline (3 s on Clock) of the moment
// the fake sent the interaction: later it answers 404 code 10062 Unknown interaction; a
// second one answers 400 code 40060 (10062 again after a late one). Callback types are checked against the interaction
// type (4, 5, 9 for commands; 4–7, 9 for components; 8 only for autocomplete, ≤ 25
// choices); type 5 accepts only the EPHEMERAL flag; message data is validated as
// above. Followups (POST /webhooks/{app}/{token}) and edits of @original need an
// acknowledged interaction and work for 15 minutes (later 401 code 50027). Non-ephemeral
// responses and followups are also recorded in Messages of their channel.
//
// # Application commands (B4)
//
// PUT /applications/{app}/commands and /applications/{app}/guilds/{guild}/commands
// (bulk overwrite, 200 with the list; ids kept for unchanged names), POST (201 new, 200
// overwrite) and GET. Checked: CHAT_INPUT names and option names 1–32 characters of
// letters, digits, - _ ' and lower case; descriptions 1–100 (empty for USER and
// MESSAGE commands, which have no options); ≤ 25 options and choices, choice names
// 1–100 and string values ≤ 100; autocomplete not with choices; min_length 0–6000,
// max_length 1–6000; subcommand nesting; unique names; 8000 characters per command
// (without localizations); 100 CHAT_INPUT, 15 USER, 15 MESSAGE per scope; 200 creates
// of new commands a day per scope (429 code 30034). Commands returns them.
//
// # Gateway (B7)
//
// The fake sends Hello (op 10, Options.HeartbeatInterval), requires Identify (op 2) with
// the bot token (close 4004 otherwise) and intents (close 4013 when absent; 4014 for a
// privileged intent not in Options.PrivilegedIntents), answers heartbeats (op 1) with
// op 11, closes with 4009 a connection silent for twice the interval, closes with 4008
// after 120 frames in 60 s, and sends READY with session_id and resume_gateway_url.
// Resume (op 6) replays the events after the given sequence and sends RESUMED; an
// unknown session gets op 9 false. Reconnect sends op 7, InvalidSession op 9,
// DropConnections cuts the sockets; WaitReady waits for READY/RESUMED.
//
// # Signed HTTP interactions (B3)
//
// PostInteraction signs the body with Ed25519 over timestamp + body (Sign) using the
// key of Options.PrivateKeySeed (default: the RFC 8032 TEST 1 seed of the contract's
// test vector, public key PublicKeyHex() =
// d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a). Options produce
// bad signatures, tampered bodies and missing headers, which the bot must answer 401;
// a PING must get {"type": 1}; a 200 body is taken as the callback, a 202 means the
// callback comes through the REST endpoint. CheckEndpoint runs Discord's checks.
//
// # Violations
//
// What the bot did wrong is recorded as a Violation: invalid messages, pings a
// message could make (promise 3: @everyone, @here, <@id>, <@&id> without an
// allowed_mentions that suppresses them; Options.AllowMentions accepts them), late,
// second or invalid callbacks, interactions never answered (at Close), followups
// outside the token's life, calls before retry_after, exceeding the invalid-request
// budget, unknown routes, invalid thread parameters and threads started on the wrong
// channel type, gateway protocol errors, and HTTP endpoints that accept bad
// signatures. Unless Options.AllowViolations is set, New's cleanup fails the test for
// every violation left; a test that provokes one on purpose takes it with
// TakeViolations. Errors caused by the environment (unknown channel, missing access,
// bad token, rate limits) are answered, not reported.
//
// # Waiting
//
// Nothing needs sleeps: Wait, WaitMessages, WaitReady and WaitAnswered block on state
// changes until a condition holds or the context ends; SendInteraction blocks until the
// callback. discordgo sleeps retry_after in real time and, with ShouldRetryOnRateLimit
// (its default), retries a 429 forever: with a manual Clock that does not move, set
// ShouldRetryOnRateLimit = false or advance the clock. discordgo's Session.Close itself
// sleeps one second.
//
// # Not faked
//
// Command localizations, permissions and the command-related routes beyond list,
// create and bulk overwrite; attachments/files beyond payload_json,
// Components V2 layouts, modals' contents, private and announcement threads, Start
// Thread without Message, thread member routes, editing, locking or deleting threads,
// moderated tags, THREAD_CREATE and MESSAGE_CREATE gateway events, guild/member
// routes, gateway compression and sharding, identify concurrency and session-start
// limits, the 5-followup cap of user-installed apps, the deprecated "followup right
// after a defer edits the loading message" behaviour, editing or deleting channel
// messages (PATCH/DELETE /channels/{id}/messages/{id}), the 50 requests per second
// global limit per IP for unauthenticated calls.
package fakediscord
