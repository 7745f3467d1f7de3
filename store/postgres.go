package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// This file holds what only PostgreSQL does, the twin of sqlite.go: its SQL where
// engines differ, how a database is connected to (pgx through database/sql, with
// ? placeholders rewritten to $n in one place), its migrations under an advisory
// lock, and how its errors read.
//
// pgx's database/sql driver (stdlib) rather than pgxpool: every query of the
// store is database/sql code shared with SQLite, so both engines run the same
// statements, transactions and scans, and the conformance suite tests one code
// path; database/sql pools the connections.

// postgresDialect is PostgreSQL's SQL.
var postgresDialect = dialect{
	name:          "PostgreSQL",
	migrations:    "migrations_pg",
	greatest:      "GREATEST",
	claimLock:     " FOR UPDATE SKIP LOCKED", // replicas claim side by side
	lockFeedRow:   " FOR UPDATE",
	lockFeedNames: `SELECT pg_advisory_xact_lock(` + pgLockClassSQL + `, hashtext('feeds:' || current_schema()))`,
	// pmbot_json_valid is defined by migration 0001 (PostgreSQL 15 has no IS JSON).
	hashUnlessDamaged: `CASE WHEN pmbot_json_valid(data) THEN hash ELSE '' END`,
	countTables: `SELECT COUNT(*), COUNT(*) FILTER (WHERE table_name = 'schema_migrations') FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
	createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
	elsewhere:        "point database (or PMBOT_DATABASE) at another database or schema",
}

// pgLockClass is the first key of pmbot's advisory locks; the second names what
// is locked (a hash of the schema, for migrations).
const (
	pgLockClass    = 0x706d62 // "pmb"
	pgLockClassSQL = "7368034"
)

// pgConnectTimeout bounds a connection attempt when the URL sets no
// connect_timeout, so that a server that does not answer is reported rather
// than waited for.
const pgConnectTimeout = 10 * time.Second

// pgMaxConns bounds the connections one store opens.
const pgMaxConns = 8

// isPostgres says whether a --db value is a PostgreSQL URL.
// IsPostgres reports whether db names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsPostgres(db string) bool { return isPostgres(db) }

func isPostgres(db string) bool {
	scheme, _, ok := strings.Cut(db, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// parsePostgres parses a PostgreSQL URL; the error never quotes it (it can carry
// a password).
func parsePostgres(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, &fileError{err: err,
			msg: "store: open: the PostgreSQL URL cannot be read; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…"}
	}
	return cfg, nil
}

// postgresLabel names a database in messages: its URL without password or
// options.
func postgresLabel(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "/") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, host, cfg.Port, cfg.Database)
}

// openPostgres is Open for a PostgreSQL URL. There is no lock file and no
// release of stale claims here: other replicas may share the database, and
// their claims are live; a dead process's claims come back when their lease
// ends.
func openPostgres(ctx context.Context, dsn string, opts Options, logger *slog.Logger) (*DB, error) {
	cfg, err := parsePostgres(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "pmbot"
	}
	if opts.ReadOnly {
		// Every transaction of the session is read-only: a write fails with
		// read_only_sql_transaction, which classifyPostgres words as ErrReadOnly.
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	label := postgresLabel(cfg)
	if opts.ReadOnly && opts.Dispatcher {
		return nil, fmt.Errorf("store: open %s: a database opened read-only cannot dispatch deliveries", label)
	}
	d := &DB{file: label, now: opts.Now, logger: logger, sql: postgresDialect, damaged: make(map[int64]bool), readOnly: opts.ReadOnly}
	d.db = sql.OpenDB(pgConnector{c: stdlib.GetConnector(*cfg), label: label})
	d.db.SetMaxOpenConns(pgMaxConns)
	d.db.SetMaxIdleConns(2)
	d.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, openError(label, err)
	}
	switch {
	case opts.probe:
		// ProbeDatabase reads the schema version itself.
	case opts.ReadOnly:
		err = d.checkSchema(ctx)
	default:
		err = d.migratePostgres(ctx)
		if err == nil {
			err = d.fillCards(ctx)
		}
	}
	if err != nil {
		d.db.Close()
		return nil, openError(label, err)
	}
	return d, nil
}

// migratePostgres brings the schema up to date in one transaction, under a
// transaction-scoped advisory lock on the schema: replicas starting at once
// migrate one after the other, and the later ones find nothing left to do.
// PostgreSQL's DDL is transactional, so a failed migration leaves nothing
// behind.
func (d *DB) migratePostgres(ctx context.Context) error {
	known, latest, err := migrationVersions(d.sql.migrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		schema, err := d.currentSchema(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(?))`, pgLockClass, "migrate:"+schema); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		applied, fresh, err := d.appliedVersions(ctx, tx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if err := d.newerSchema(applied, latest); err != nil {
			return err
		}
		if fresh {
			if _, err := tx.ExecContext(ctx, d.sql.createMigrations); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
		}
		versions := make([]int, 0, len(known))
		for v := range known {
			versions = append(versions, v)
		}
		sort.Ints(versions)
		for _, version := range versions {
			if applied[version] {
				continue
			}
			name := known[version]
			body, err := migrations.ReadFile(name)
			if err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migrate: %s: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, d.now().Unix()); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
		}
		return nil
	})
}

// currentSchema returns the schema pmbot's tables are in: the first of the
// search_path that exists.
func (d *DB) currentSchema(ctx context.Context, q querier) (string, error) {
	var schema sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", err
	}
	if !schema.Valid {
		return "", &fileError{msg: fmt.Sprintf("%s: no schema of the search_path exists; create it, or fix search_path in the database URL", d.file)}
	}
	return schema.String, nil
}

// DatabaseInfo is what ProbeDatabase found.
type DatabaseInfo struct {
	// Engine is "PostgreSQL"; Server is its version, as the server gives it.
	Engine string
	Server string
	// Database names the database in messages (no password).
	Database string
	// Schema is the schema version found (0: no table yet, pmbot creates them at
	// its first start), Latest the one this pmbot brings it to.
	Schema, Latest int
}

// ProbeDatabase connects to a PostgreSQL database without changing it, and says
// which server and schema version it found, or why it cannot (the server does
// not answer, the login is refused, the database is not pmbot's, or was written
// by a newer pmbot: the errors of Open). check-config asks it. A SQLite path is
// not opened: Engine is "SQLite" and the rest is empty.
func ProbeDatabase(ctx context.Context, db string) (DatabaseInfo, error) {
	if err := CheckDatabase(db); err != nil {
		return DatabaseInfo{}, err
	}
	if !isPostgres(db) {
		return DatabaseInfo{Engine: "SQLite"}, nil
	}
	d, err := Open(ctx, db, Options{ReadOnly: true, probe: true})
	if err != nil {
		return DatabaseInfo{}, err
	}
	defer d.Close()
	info := DatabaseInfo{Engine: d.sql.name, Database: d.file}
	if _, info.Latest, err = migrationVersions(d.sql.migrations); err != nil {
		return DatabaseInfo{}, err
	}
	if err := d.db.QueryRowContext(ctx, `SHOW server_version`).Scan(&info.Server); err != nil {
		return DatabaseInfo{}, fmt.Errorf("store: %s: %w", d.file, err)
	}
	if _, err := d.currentSchema(ctx, d.db); err != nil {
		return DatabaseInfo{}, openError(d.file, err)
	}
	applied, _, err := d.appliedVersions(ctx, d.db)
	if err != nil {
		return DatabaseInfo{}, openError(d.file, err)
	}
	if err := d.newerSchema(applied, info.Latest); err != nil {
		return DatabaseInfo{}, openError(d.file, err)
	}
	info.Schema = maxVersion(applied)
	return info, nil
}

// pgConnector opens pgx connections whose queries take ? placeholders (rewritten
// to $1, $2 …) and whose errors go through classifyPostgres, as connector does
// for SQLite.
type pgConnector struct {
	c     driver.Connector
	label string
}

func (c pgConnector) Driver() driver.Driver { return c.c.Driver() }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.c.Connect(ctx)
	if err != nil {
		return nil, classifyPostgres(c.label, err)
	}
	sc, ok := cn.(*stdlib.Conn)
	if !ok {
		cn.Close()
		return nil, fmt.Errorf("pgx's database/sql connection (%T) is not the one pmbot knows", cn)
	}
	return &pgConn{c: sc, label: c.label}, nil
}

type pgConn struct {
	c     *stdlib.Conn
	label string
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.c.PrepareContext(ctx, rebind(query))
	if err != nil {
		return nil, classifyPostgres(c.label, err)
	}
	return s, nil
}

func (c *pgConn) Close() error { return c.c.Close() }

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		return nil, classifyPostgres(c.label, err)
	}
	return pgTx{t: t, label: c.label}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) > 0 {
		query = rebind(query)
	}
	r, err := c.c.ExecContext(ctx, query, args)
	if err != nil {
		return nil, classifyPostgres(c.label, err)
	}
	return r, nil
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) > 0 {
		query = rebind(query)
	}
	r, err := c.c.QueryContext(ctx, query, args)
	if err != nil {
		return nil, classifyPostgres(c.label, err)
	}
	return pgRows{r: r, label: c.label}, nil
}

func (c *pgConn) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

func (c *pgConn) CheckNamedValue(v *driver.NamedValue) error { return c.c.CheckNamedValue(v) }

func (c *pgConn) ResetSession(ctx context.Context) error { return c.c.ResetSession(ctx) }

type pgRows struct {
	r     driver.Rows
	label string
}

func (r pgRows) Columns() []string { return r.r.Columns() }
func (r pgRows) Close() error      { return classifyPostgres(r.label, r.r.Close()) }

func (r pgRows) Next(dest []driver.Value) error {
	err := r.r.Next(dest)
	if err == io.EOF { // the end of the rows, not a failure; database/sql wants it bare
		return err
	}
	return classifyPostgres(r.label, err)
}

type pgTx struct {
	t     driver.Tx
	label string
}

func (t pgTx) Commit() error   { return classifyPostgres(t.label, t.t.Commit()) }
func (t pgTx) Rollback() error { return classifyPostgres(t.label, t.t.Rollback()) }

// rebind rewrites a query's ? placeholders to PostgreSQL's $1, $2 …, leaving
// alone what is quoted ('…', "…") or commented (-- …). The store's SQL is
// written once, with ?, for every engine.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; ch {
		case '\'', '"':
			j := strings.IndexByte(query[i+1:], ch)
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case '-':
			if strings.HasPrefix(query[i:], "--") {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+j+1])
				i += j
				continue
			}
			b.WriteByte(ch)
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// isConflict reports whether PostgreSQL aborted a transaction for a conflict
// with a concurrent one, which running it again resolves: a deadlock
// (40P01) or a serialization failure (40001).
func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// classifyPostgres turns an error the admin can act on into one that names the
// database (never its password) and says what to do: the server does not
// answer or went away (ErrUnavailable), the login or the database is refused, a
// read-only session or server (ErrReadOnly), a full disk (ErrDiskFull), damaged
// data (ErrDamaged). Any other error comes back as it is. It is the one place
// that reads PostgreSQL's error codes.
func classifyPostgres(label string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		words := pe.Message
		switch code := pe.Code; {
		case code == "25006": // read_only_sql_transaction
			return &fileError{kind: ErrReadOnly, err: err,
				msg: fmt.Sprintf("%s is read-only for pmbot (%s); pmbot needs a user and a server that may write for this", label, words)}
		case code == "53100": // disk_full
			return &fileError{kind: ErrDiskFull, err: err,
				msg: fmt.Sprintf("cannot write %s: the database server's disk is full (%s); free space and start again", label, words)}
		case code == "XX001" || code == "XX002": // data_corrupted, index_corrupted
			return &fileError{kind: ErrDamaged, err: err,
				msg: fmt.Sprintf("%s is damaged (%s); restore a backup", label, words)}
		case code == "28P01" || code == "28000": // invalid_password, invalid_authorization_specification
			return &fileError{err: err,
				msg: fmt.Sprintf("PostgreSQL refused the login to %s (%s); check the user and password of the database URL", label, words)}
		case code == "3D000": // invalid_catalog_name
			return &fileError{err: err,
				msg: fmt.Sprintf("%s does not exist on its server (%s); create it (createdb), or fix the database URL", label, words)}
		case code == "42501": // insufficient_privilege
			return &fileError{err: err,
				msg: fmt.Sprintf("%s: permission denied (%s); pmbot's user needs to own its schema, or be granted its tables", label, words)}
		case code == "53300" || code == "57P01" || code == "57P02" || code == "57P03" || strings.HasPrefix(code, "08"):
			// too_many_connections, admin_shutdown, crash_shutdown, cannot_connect_now, connection_exception
			return &fileError{kind: ErrUnavailable, err: err,
				msg: fmt.Sprintf("the PostgreSQL server of %s is unavailable (%s); pmbot tries again", label, words)}
		}
		return err
	}
	var ce *pgconn.ConnectError
	connecting := errors.As(err, &ce)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return &fileError{kind: ErrUnavailable, err: err,
			msg: fmt.Sprintf("cannot connect to %s: its host %q is not known (%s); check the database URL", label, dnsErr.Name, dnsErr.Err)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &fileError{kind: ErrUnavailable, err: err,
			msg: fmt.Sprintf("cannot connect to %s: connection refused; is PostgreSQL running and listening there?", label)}
	case connecting && (pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded)):
		return &fileError{kind: ErrUnavailable, err: err,
			msg: fmt.Sprintf("cannot connect to %s: no answer in time; is the server up and reachable?", label)}
	case connecting:
		return &fileError{kind: ErrUnavailable, err: err,
			msg: fmt.Sprintf("cannot connect to %s: %s", label, connectWords(ce))}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF):
		return &fileError{kind: ErrUnavailable, err: err,
			msg: fmt.Sprintf("lost the connection to %s (the server went away); pmbot tries again", label)}
	}
	return err
}

// connectWords is why a connection failed, in pgx's words after its prefix
// (which names the user and database, never the password).
func connectWords(ce *pgconn.ConnectError) string {
	inner := errors.Unwrap(ce)
	if inner == nil {
		return ce.Error()
	}
	return inner.Error()
}
