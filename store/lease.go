package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLeaseHeld is returned by AcquireLease when another process (or another
// store in this one) holds the lease.
var ErrLeaseHeld = errors.New("store: the lease is held by another pmbot process")

// Lease is work that one process at a time does on a database (the poller and
// the digest scheduler, which replicas sharing a PostgreSQL database must not
// both run).
type Lease interface {
	// Lost is closed once the lease is no longer held: released, its store
	// closed, or (PostgreSQL) its connection gone. The holder stops the work at
	// once: another process may have taken the lease.
	Lost() <-chan struct{}
	// Release gives the lease up (another process may take it at once) and
	// closes Lost. It may be called more than once.
	Release()
}

// Leaser hands out leases; *DB is one.
type Leaser interface {
	// AcquireLease takes the lease name on the database, or fails with
	// ErrLeaseHeld when someone else holds it; it does not wait.
	AcquireLease(ctx context.Context, name string) (Lease, error)
}

var _ Leaser = (*DB)(nil)

// LeaseCheckInterval is how often a PostgreSQL lease checks its connection
// (one cheap query): a connection that died loses the lease at the next check.
var LeaseCheckInterval = 2 * time.Second

// leaseCheckTimeout bounds one check: a server that does not answer within it
// is taken as gone, and the lease as lost.
const leaseCheckTimeout = 5 * time.Second

// AcquireLease takes the lease name.
//
// On SQLite it is always held at once: one process at a time dispatches from a
// file (Open's lock beside it), so there is nobody to share the work with; Lost
// closes only when the lease is released or the store closed.
//
// On PostgreSQL it is a session advisory lock (pg_try_advisory_lock) on a key of
// the name and the schema, held by one connection set apart from the pool for
// as long as the lease lasts: PostgreSQL releases the lock when that session
// ends, whatever killed it, so a dead replica's lease is free for another at
// once. The connection is checked every LeaseCheckInterval; when the check
// fails, the lease is lost (Lost closes) and the connection is thrown away, so
// the lock cannot linger in the pool.
func (d *DB) AcquireLease(ctx context.Context, name string) (Lease, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, fmt.Errorf("store: lease %s: the store is closed", name)
	}
	d.mu.Unlock()
	var l *lease
	if d.sql.name != postgresDialect.name {
		l = newLease(d, name, nil)
	} else {
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: lease %s: %w", name, err)
		}
		var got bool
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?, hashtext(? || COALESCE(current_schema(), '')))`,
			pgLockClass, "lease:"+name+":").Scan(&got)
		if err != nil || !got {
			discard(conn)
			if err != nil {
				return nil, fmt.Errorf("store: lease %s: %w", name, err)
			}
			return nil, ErrLeaseHeld
		}
		l = newLease(d, name, conn)
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		l.Release()
		return nil, fmt.Errorf("store: lease %s: the store is closed", name)
	}
	if d.leases == nil {
		d.leases = make(map[*lease]bool)
	}
	d.leases[l] = true
	d.mu.Unlock()
	return l, nil
}

// lease is a held lease; conn is nil on SQLite.
type lease struct {
	d    *DB
	name string
	conn *sql.Conn
	lost chan struct{}
	stop chan struct{}
	done chan struct{} // the watcher returned
	once sync.Once
}

func newLease(d *DB, name string, conn *sql.Conn) *lease {
	l := &lease{d: d, name: name, conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.watch()
	return l
}

func (l *lease) Lost() <-chan struct{} { return l.lost }

func (l *lease) Release() {
	l.once.Do(func() { close(l.stop) })
	<-l.done
}

// watch checks the connection until the lease is released or lost, then throws
// the connection away (ending the session, so the lock with it) and closes
// lost. It alone uses the connection.
func (l *lease) watch() {
	defer close(l.done)
	defer func() {
		if l.conn != nil {
			discard(l.conn)
		}
		l.d.mu.Lock()
		delete(l.d.leases, l)
		l.d.mu.Unlock()
		close(l.lost)
	}()
	if l.conn == nil {
		<-l.stop
		return
	}
	ticker := time.NewTicker(LeaseCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ticker.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), leaseCheckTimeout)
		var one int
		err := l.conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
		cancel()
		if err != nil {
			select {
			case <-l.stop: // released meanwhile: nothing was lost
			default:
				l.d.logger.Warn("lease lost: its database connection failed", "lease", l.name, "err", err)
			}
			return
		}
	}
}

// discard closes a connection for good rather than return it to the pool: a
// session that held (or may hold) an advisory lock must end, not be reused.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// releaseLeases releases every lease the store holds (Close calls it).
func (d *DB) releaseLeases() {
	d.mu.Lock()
	d.closed = true
	held := make([]*lease, 0, len(d.leases))
	for l := range d.leases {
		held = append(held, l)
	}
	d.mu.Unlock()
	for _, l := range held {
		l.Release()
	}
}

// MaxReplicas bounds how many processes JoinReplicas counts on one database.
const MaxReplicas = 64

// replicaLease is the name of replica slot k's lease.
func replicaLease(k int) string { return fmt.Sprintf("replica:%d", k) }

// JoinReplicas counts this process among the replicas running on the database
// (Replicas), until the returned lease is released or lost: it takes the first
// free slot of MaxReplicas, each a lease. A limit the replicas share (Discord's
// requests a second for one bot) is divided by their number. On SQLite, where
// one process runs, it is the one slot.
func (d *DB) JoinReplicas(ctx context.Context) (Lease, error) {
	for k := range MaxReplicas {
		l, err := d.AcquireLease(ctx, replicaLease(k))
		if errors.Is(err, ErrLeaseHeld) {
			continue
		}
		return l, err
	}
	return nil, fmt.Errorf("store: more than %d replicas on one database", MaxReplicas)
}

// Replicas says how many processes joined the replicas (JoinReplicas) and are
// still running: a replica that died left the count with its session. It is 1
// on SQLite.
func (d *DB) Replicas(ctx context.Context) (int, error) {
	if d.sql.name != postgresDialect.name {
		return 1, nil
	}
	// The advisory locks held on this database whose keys are the replica
	// slots' (AcquireLease's key; pg_locks shows the int4 key as an unsigned
	// oid).
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = `+pgLockClassSQL+`::bigint::oid
		  AND l.objid IN (SELECT (hashtext('lease:replica:' || g || ':' || COALESCE(current_schema(), ''))::bigint & 4294967295)::oid
		                  FROM generate_series(0, ?) g)`, MaxReplicas-1).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count replicas: %w", err)
	}
	return max(n, 1), nil
}
