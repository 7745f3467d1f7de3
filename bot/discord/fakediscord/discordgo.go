package fakediscord

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// HTTPClient returns an http.Client that sends every request for discord.com (and
// discordapp.com) to the fake, keeping the path. Setting it as a discordgo Session's
// Client points that session's REST calls at the fake without touching discordgo's
// global Endpoint* variables, so tests using it may run in parallel:
//
//	dg, _ := discordgo.New("Bot " + srv.BotToken())
//	dg.Client = srv.HTTPClient()
//
// Session.Open also works through it: discordgo's GET /gateway returns GatewayURL(),
// a ws://127.0.0.1 URL that dg.Dialer dials directly.
func (s *Server) HTTPClient() *http.Client {
	base, _ := url.Parse(s.http.URL)
	return &http.Client{Transport: rewriteTransport{to: base, next: http.DefaultTransport}}
}

type rewriteTransport struct {
	to   *url.URL
	next http.RoundTripper
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.URL.Hostname() {
	case "discord.com", "discordapp.com", "127.0.0.1":
	default:
		return t.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme = t.to.Scheme
	r.URL.Host = t.to.Host
	r.Host = t.to.Host
	return t.next.RoundTrip(r)
}

// UseGlobals points discordgo's package-level endpoint variables at the fake for the
// rest of the test and restores them in tb.Cleanup (contract B8). They are globals:
// tests that call it must not run in parallel. It reassigns EndpointDiscord,
// EndpointAPI and every string variable derived from EndpointAPI at package
// initialisation (EndpointGuilds, EndpointChannels, EndpointUsers, EndpointGateway,
// EndpointGatewayBot, EndpointWebhooks, EndpointStickers, EndpointStageInstances,
// EndpointSKUs, EndpointVoice, EndpointVoiceRegions, EndpointGuildCreate,
// EndpointApplications, EndpointNitroStickersPacks); closures such as
// EndpointChannelMessages, EndpointInteractionResponse and EndpointFollowupMessage read
// those at call time and follow. The EndpointOAuth2* strings are not reassigned.
// Prefer HTTPClient.
func (s *Server) UseGlobals(tb testing.TB) {
	tb.Helper()
	type saved struct {
		p *string
		v string
	}
	ptrs := []*string{
		&discordgo.EndpointDiscord, &discordgo.EndpointAPI, &discordgo.EndpointGuilds,
		&discordgo.EndpointChannels, &discordgo.EndpointUsers, &discordgo.EndpointGateway,
		&discordgo.EndpointGatewayBot, &discordgo.EndpointWebhooks, &discordgo.EndpointStickers,
		&discordgo.EndpointStageInstances, &discordgo.EndpointSKUs, &discordgo.EndpointVoice,
		&discordgo.EndpointVoiceRegions, &discordgo.EndpointGuildCreate,
		&discordgo.EndpointApplications, &discordgo.EndpointNitroStickersPacks,
	}
	var old []saved
	for _, p := range ptrs {
		old = append(old, saved{p, *p})
	}
	tb.Cleanup(func() {
		for _, o := range old {
			*o.p = o.v
		}
	})
	api := s.http.URL + "/api/v" + discordgo.APIVersion + "/"
	discordgo.EndpointDiscord = s.http.URL + "/"
	discordgo.EndpointAPI = api
	discordgo.EndpointGuilds = api + "guilds/"
	discordgo.EndpointChannels = api + "channels/"
	discordgo.EndpointUsers = api + "users/"
	discordgo.EndpointGateway = api + "gateway"
	discordgo.EndpointGatewayBot = discordgo.EndpointGateway + "/bot"
	discordgo.EndpointWebhooks = api + "webhooks/"
	discordgo.EndpointStickers = api + "stickers/"
	discordgo.EndpointStageInstances = api + "stage-instances"
	discordgo.EndpointSKUs = api + "skus"
	discordgo.EndpointVoice = api + "/voice/"
	discordgo.EndpointVoiceRegions = discordgo.EndpointVoice + "regions"
	discordgo.EndpointGuildCreate = api + "guilds"
	discordgo.EndpointApplications = api + "applications"
	discordgo.EndpointNitroStickersPacks = api + "/sticker-packs"
}
