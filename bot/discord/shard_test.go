package discord_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/discord/fakediscord"
)

// A server on shard 1 of 2 ((id >> 22) % 2 == 1); guildID is on shard 0.
const (
	guildShard1   = "400000000001572864"
	channelShard1 = "300000000000000021"
)

func shardedFake(t *testing.T) *fakediscord.Server {
	chans := append(adapterChannels(), fakediscord.Channel{ID: channelShard1, GuildID: guildShard1, Name: "general"})
	return newFake(t, fakediscord.Options{Channels: chans})
}

// With two shards, the gateway connects each with its [id, count], and each
// server's interactions come on its own shard and are answered.
func TestGatewayShards(t *testing.T) {
	srv := shardedFake(t)
	a := newAdapter(t, srv, discord.Options{Router: adapterRouter(t, routerOptions{}), Shards: 2})
	runGateway(t, srv, a)
	ctx := adapterCtx(t)
	if err := srv.WaitReady(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[[2]int]int{{0, 2}: 1, {1, 2}: 1}, srv.ReadyShards()); diff != "" {
		t.Errorf("ready sessions per shard (-want +got):\n%s", diff)
	}
	for _, channel := range []string{generalID, channelShard1} {
		in := slash("latest")
		in.ChannelID = channel
		rec := send(t, ctx, srv, in)
		if rec.Response.Message == nil || !strings.Contains(messageText(*rec.Response.Message), "#17") {
			t.Errorf("in %s: answer %+v, want the latest episode", channel, rec.Response)
		}
	}
}

// HoldShard runs each shard under its lease: a shard whose lease another
// replica holds is not connected here.
func TestGatewayHoldShard(t *testing.T) {
	srv := shardedFake(t)
	var mu sync.Mutex
	var names []string
	hold := func(ctx context.Context, name string, run func(context.Context) error) error {
		mu.Lock()
		names = append(names, name)
		mu.Unlock()
		if strings.HasSuffix(name, ":0/2") {
			<-ctx.Done() // another replica holds shard 0
			return nil
		}
		return run(ctx)
	}
	a := newAdapter(t, srv, discord.Options{Router: adapterRouter(t, routerOptions{}), Shards: 2, HoldShard: hold})
	runGateway(t, srv, a)
	if diff := cmp.Diff(map[[2]int]int{{1, 2}: 1}, srv.ReadyShards()); diff != "" {
		t.Errorf("ready sessions per shard (-want +got):\n%s", diff)
	}
	in := slash("latest")
	in.ChannelID = channelShard1
	send(t, adapterCtx(t), srv, in)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(names)
	if diff := cmp.Diff([]string{a.ShardLease(0), a.ShardLease(1)}, names); diff != "" {
		t.Errorf("leases asked (-want +got):\n%s", diff)
	}
	if want := "discord-gateway:" + srv.AppID() + ":1/2"; a.ShardLease(1) != want {
		t.Errorf("ShardLease(1) = %q, want %q", a.ShardLease(1), want)
	}
}
