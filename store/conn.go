package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
)

// connector opens SQLite connections whose errors go through classify, so that
// every query (the outbox's and the subscriptions' included) names a damaged,
// read-only or full database in words, without each method knowing SQLite's
// codes. modernc.org/sqlite documents this wrapping (sqlite.NewConnector).
type connector struct {
	driver.Connector
	file string
}

// sqliteConn is what every connection of modernc.org/sqlite implements; the
// wrapper forwards all of it, or database/sql would fall back to the
// context-free methods.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, classify(c.file, err)
	}
	sc, ok := cn.(sqliteConn)
	if !ok {
		cn.Close()
		return nil, fmt.Errorf("the SQLite driver's connection (%T) lacks methods pmbot needs", cn)
	}
	return &conn{c: sc, file: c.file}, nil
}

type conn struct {
	c    sqliteConn
	file string
}

// Unwrap returns the driver's connection (modernc.org/sqlite's Limit needs it).
func (c *conn) Unwrap() driver.Conn { return c.c }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) Close() error { return classify(c.file, c.c.Close()) }

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		return nil, classify(c.file, err)
	}
	return tx{t: t, file: c.file}, nil
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, classify(c.file, err)
	}
	return c.wrapStmt(s)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.c.ExecContext(ctx, query, args)
	if err != nil {
		return nil, classify(c.file, err)
	}
	return r, nil
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.c.QueryContext(ctx, query, args)
	if err != nil {
		return nil, classify(c.file, err)
	}
	return rows{r: r, file: c.file}, nil
}

func (c *conn) Ping(ctx context.Context) error { return classify(c.file, c.c.Ping(ctx)) }

func (c *conn) ResetSession(ctx context.Context) error { return c.c.ResetSession(ctx) }

func (c *conn) IsValid() bool { return c.c.IsValid() }

// sqliteStmt is what every statement of modernc.org/sqlite implements.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

func (c *conn) wrapStmt(s driver.Stmt) (driver.Stmt, error) {
	ss, ok := s.(sqliteStmt)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("the SQLite driver's statement (%T) lacks methods pmbot needs", s)
	}
	return &stmt{s: ss, file: c.file}, nil
}

type stmt struct {
	s    sqliteStmt
	file string
}

func (s *stmt) Close() error  { return classify(s.file, s.s.Close()) }
func (s *stmt) NumInput() int { return s.s.NumInput() }

// Exec and Query are driver.Stmt's context-free methods; database/sql calls the
// context ones, and these go through them.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.s.ExecContext(ctx, args)
	if err != nil {
		return nil, classify(s.file, err)
	}
	return r, nil
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	r, err := s.s.QueryContext(ctx, args)
	if err != nil {
		return nil, classify(s.file, err)
	}
	return rows{r: r, file: s.file}, nil
}

type rows struct {
	r    driver.Rows
	file string
}

func (r rows) Columns() []string { return r.r.Columns() }
func (r rows) Close() error      { return classify(r.file, r.r.Close()) }

func (r rows) Next(dest []driver.Value) error {
	err := r.r.Next(dest)
	if err == io.EOF { // the end of the rows, not a failure; database/sql wants it bare
		return err
	}
	return classify(r.file, err)
}

type tx struct {
	t    driver.Tx
	file string
}

func (t tx) Commit() error   { return classify(t.file, t.t.Commit()) }
func (t tx) Rollback() error { return classify(t.file, t.t.Rollback()) }
