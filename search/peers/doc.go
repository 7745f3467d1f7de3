// Package peers compares pmbot's search with its peers on one corpus and one
// set of queries, in one run: Bleve (French analyser, fuzziness 0 and 1) and
// SQLite FTS5 (BM25 with pmbot's field weights). It is a module of its own so
// that the bot does not depend on Bleve; run it from this folder:
//
//	go test -run Relevance -v
//	go test -run '^$' -bench . -benchtime 2000x
package peers
