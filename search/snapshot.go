package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// snapshotMagic starts every encoded index; its last byte is the format's
// version, changed whenever the encoding or what the index holds changes, so
// that an older snapshot is rebuilt rather than misread.
const snapshotMagic = "pmbot-index\x01"

// errSnapshot is what a snapshot that does not decode gives.
var errSnapshot = errors.New("search: not an index snapshot of this version")

// Snapshot is an index as it is saved: a header (the documents, the words,
// the stems, how many postings each has) and each list of postings apart, so
// that a process answering one question reads the header and only the lists
// its query needs (LoadSnapshot).
type Snapshot struct {
	Header []byte
	// Words and Stems are each word's and each stem's postings, encoded; a
	// stem that shares its only word's list (shareStems) has none of its own.
	Words, Stems [][]byte
}

// Snapshot encodes the index.
func (ix *Index) Snapshot() Snapshot {
	ix.prepare()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ix.materialize()
	shares := ix.stemShares()
	b := make([]byte, 0, len(snapshotMagic)+len(ix.docs)*24+len(ix.wordStr)*16+len(ix.stemStr)*12)
	b = append(b, snapshotMagic...)
	u := binary.AppendUvarint
	b = u(b, uint64(len(ix.docs)))
	for _, e := range ix.docs {
		b = binary.AppendVarint(b, e.id)
		b = binary.AppendVarint(b, e.feed)
		b = binary.AppendVarint(b, int64(e.number))
		for _, n := range e.lens {
			b = u(b, uint64(n))
		}
		live := byte(0)
		if e.live {
			live = 1
		}
		b = append(b, live)
	}
	b = u(b, uint64(len(ix.wordStr)))
	for w, s := range ix.wordStr {
		b = u(b, uint64(len(s)))
		b = append(b, s...)
		b = u(b, uint64(len(ix.wordStems[w])))
		for _, st := range ix.wordStems[w] {
			b = u(b, uint64(st))
		}
		b = u(b, uint64(len(ix.wordPost[w])))
	}
	b = u(b, uint64(len(ix.stemStr)))
	for st, s := range ix.stemStr {
		b = u(b, uint64(len(s)))
		b = append(b, s...)
		// The word whose list the stem shares, plus one; 0 and the list's
		// length when it has its own.
		b = u(b, uint64(shares[st]+1))
		if shares[st] < 0 {
			b = u(b, uint64(len(ix.stemPost[st])))
		}
	}
	b = u(b, uint64(len(ix.dict)))
	for _, id := range ix.dict {
		b = u(b, uint64(id))
	}
	out := Snapshot{Header: b, Words: make([][]byte, len(ix.wordPost)), Stems: make([][]byte, len(ix.stemPost))}
	for w, l := range ix.wordPost {
		out.Words[w] = encodePostings(l)
	}
	for st, l := range ix.stemPost {
		if shares[st] < 0 {
			out.Stems[st] = encodePostings(l)
		}
	}
	return out
}

// encodePostings encodes a list of postings, 12 bytes each.
func encodePostings(l []posting) []byte {
	b := make([]byte, 0, len(l)*12)
	for _, p := range l {
		b = binary.LittleEndian.AppendUint32(b, p.doc)
		b = append(b, p.tf[:]...)
		b = binary.LittleEndian.AppendUint32(b, p.pos)
	}
	return b
}

// decodePostings decodes n postings of documents below docs.
func decodePostings(b []byte, n, docs int) ([]posting, error) {
	if len(b) != n*12 {
		return nil, errSnapshot
	}
	out := make([]posting, n)
	for i := range out {
		p := b[i*12:]
		out[i] = posting{doc: binary.LittleEndian.Uint32(p), tf: [numFields]uint8{p[4], p[5], p[6], p[7]}, pos: binary.LittleEndian.Uint32(p[8:])}
		if out[i].doc >= uint32(docs) {
			return nil, errSnapshot
		}
	}
	return out, nil
}

// stemShares returns, for each stem, the word whose postings it shares
// (shareStems), or -1.
func (ix *Index) stemShares() []int32 {
	wordOf := make(map[*posting]int32, len(ix.wordPost))
	for w, l := range ix.wordPost {
		if len(l) > 0 {
			wordOf[&l[0]] = int32(w)
		}
	}
	out := make([]int32, len(ix.stemPost))
	for st, l := range ix.stemPost {
		out[st] = -1
		if len(l) == 0 {
			continue
		}
		if w, ok := wordOf[&l[0]]; ok && len(ix.wordPost[w]) == len(l) {
			out[st] = w
		}
	}
	return out
}

// LoadSnapshot returns the index a Snapshot's header describes, reading
// each list of postings with lists the first time a query needs it (stem says
// whether id is a stem's or a word's). An error of lists is kept (Err) and the
// list counted as empty. Adding documents to such an index reads every list
// first.
func LoadSnapshot(header []byte, lists func(stem bool, id uint32) ([]byte, error)) (*Index, error) {
	r := snapshotReader{b: header}
	if len(header) < len(snapshotMagic) || string(header[:len(snapshotMagic)]) != snapshotMagic {
		return nil, errSnapshot
	}
	r.b = r.b[len(snapshotMagic):]
	ix := NewIndex()
	nd := r.count(1 << 31)
	ix.docs = make([]docEntry, nd)
	for i := range ix.docs {
		e := &ix.docs[i]
		e.id, e.feed = r.varint(), r.varint()
		if n := r.varint(); n >= 0 && n <= math.MaxInt32 {
			e.number = int(n)
		} else {
			r.fail()
		}
		for f := range e.lens {
			e.lens[f] = uint32(r.uvarint(math.MaxUint32))
		}
		e.live = r.byte() == 1
	}
	nw := r.count(1 << 31)
	ix.wordStr = make([]string, nw)
	ix.wordStems = make([][]uint32, nw)
	stemIDs := make([]uint32, 0, nw)
	lz := &lazyLists{fetch: lists, docs: nd, wordN: make([]uint32, nw)}
	var text []byte
	ends := make([]int, nw)
	for w := range nw {
		text = append(text, r.bytes()...)
		ends[w] = len(text)
		if ns := r.count(1 << 16); ns > 0 {
			start := len(stemIDs)
			for range ns {
				stemIDs = append(stemIDs, uint32(r.uvarint(math.MaxUint32)))
			}
			// Clipped, as packWords leaves them.
			ix.wordStems[w] = stemIDs[start:len(stemIDs):len(stemIDs)]
		}
		lz.wordN[w] = uint32(r.uvarint(uint64(nd)))
	}
	ns := r.count(1 << 31)
	ix.stemStr = make([]string, ns)
	lz.stemShare = make([]int32, ns)
	lz.stemN = make([]uint32, ns)
	stemEnds := make([]int, ns)
	for st := range ns {
		text = append(text, r.bytes()...)
		stemEnds[st] = len(text)
		lz.stemShare[st] = int32(r.uvarint(uint64(nw))) - 1
		if w := lz.stemShare[st]; w >= 0 {
			lz.stemN[st] = lz.wordN[w]
		} else {
			lz.stemN[st] = uint32(r.uvarint(uint64(nd)))
		}
	}
	ix.dict = make([]uint32, r.count(nw))
	for i := range ix.dict {
		ix.dict[i] = uint32(r.uvarint(uint64(max(nw-1, 0))))
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errSnapshot
	}
	for _, sts := range ix.wordStems {
		for _, st := range sts {
			if int(st) >= ns {
				return nil, errSnapshot
			}
		}
	}
	// Every word and stem in one string, as packWords leaves them.
	ix.words = make(map[string]uint32, nw)
	ix.stems = make(map[string]uint32, ns)
	ix.byID = make(map[int64]uint32, nd)
	ix.byNumber = make(map[int][]uint32, nd)
	all, start := string(text), 0
	for w, end := range ends {
		ix.wordStr[w], start = all[start:end], end
		ix.words[ix.wordStr[w]] = uint32(w)
	}
	for st, end := range stemEnds {
		ix.stemStr[st], start = all[start:end], end
		ix.stems[ix.stemStr[st]] = uint32(st)
	}
	ix.wordPost = make([][]posting, nw)
	ix.stemPost = make([][]posting, ns)
	lz.wordDone = make([]bool, nw)
	lz.stemDone = make([]bool, ns)
	ix.lazy = lz
	for n, e := range ix.docs {
		if !e.live {
			continue
		}
		ix.byID[e.id] = uint32(n)
		if e.number > 0 {
			ix.byNumber[e.number] = append(ix.byNumber[e.number], uint32(n))
		}
		ix.live++
		for f := range numFields {
			ix.lenSum[f] += uint64(e.lens[f])
			if e.lens[f] > 0 {
				ix.withField[f]++
			}
		}
	}
	// prepare computes the length normalisation.
	ix.dirty = true
	ix.prepare()
	return ix, nil
}

// lazyLists are the lists of postings of a loaded snapshot, read as queries
// need them.
type lazyLists struct {
	fetch func(stem bool, id uint32) ([]byte, error)
	docs  int
	// wordN and stemN are how many postings each list has; stemShare the
	// word whose list a stem shares, or -1.
	wordN, stemN []uint32
	stemShare    []int32

	// mu guards what follows and the index's lists: queries read them under
	// the index's read lock, side by side.
	mu                 sync.Mutex
	wordDone, stemDone []bool
	err                error
}

// wordList returns a word's postings.
func (ix *Index) wordList(id uint32) []posting {
	lz := ix.lazy
	if lz == nil {
		return ix.wordPost[id]
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	return ix.loadWord(id)
}

// loadWord reads a word's list if it was not yet; the caller holds lz.mu.
func (ix *Index) loadWord(id uint32) []posting {
	lz := ix.lazy
	if !lz.wordDone[id] {
		lz.wordDone[id] = true
		ix.wordPost[id] = lz.read(false, id, int(lz.wordN[id]))
	}
	return ix.wordPost[id]
}

// stemList returns a stem's postings.
func (ix *Index) stemList(id uint32) []posting {
	lz := ix.lazy
	if lz == nil {
		return ix.stemPost[id]
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if w := lz.stemShare[id]; w >= 0 {
		return ix.loadWord(uint32(w))
	}
	if !lz.stemDone[id] {
		lz.stemDone[id] = true
		ix.stemPost[id] = lz.read(true, id, int(lz.stemN[id]))
	}
	return ix.stemPost[id]
}

// wordDF returns how many documents a word's list has, without reading it.
func (ix *Index) wordDF(id uint32) int {
	if ix.lazy != nil {
		return int(ix.lazy.wordN[id])
	}
	return len(ix.wordPost[id])
}

func (lz *lazyLists) read(stem bool, id uint32, n int) []posting {
	if n == 0 {
		return nil
	}
	b, err := lz.fetch(stem, id)
	if err == nil {
		var l []posting
		if l, err = decodePostings(b, n, lz.docs); err == nil {
			return l
		}
	}
	if lz.err == nil {
		lz.err = fmt.Errorf("search: postings of %s %d: %w", map[bool]string{false: "word", true: "stem"}[stem], id, err)
	}
	return nil
}

// materialize reads every list of a loaded snapshot, before the index
// changes; the caller holds ix.mu.
func (ix *Index) materialize() {
	lz := ix.lazy
	if lz == nil {
		return
	}
	lz.mu.Lock()
	for w := range ix.wordPost {
		ix.loadWord(uint32(w))
	}
	for st := range ix.stemPost {
		if w := lz.stemShare[st]; w >= 0 {
			ix.stemPost[st] = slices.Clip(ix.wordPost[w])
		} else if !lz.stemDone[st] {
			lz.stemDone[st] = true
			ix.stemPost[st] = lz.read(true, uint32(st), int(lz.stemN[st]))
		}
	}
	lz.mu.Unlock()
}

// Err returns the first error reading a loaded snapshot's postings: the
// answers given since may have missed documents.
func (ix *Index) Err() error {
	if ix.lazy == nil {
		return nil
	}
	ix.lazy.mu.Lock()
	defer ix.lazy.mu.Unlock()
	return ix.lazy.err
}

// snapshotReader reads a snapshot's fields; the first error sticks, and later
// reads return zeros.
type snapshotReader struct {
	b   []byte
	err error
}

func (r *snapshotReader) fail() {
	if r.err == nil {
		r.err = errSnapshot
	}
	r.b = nil
}

func (r *snapshotReader) uvarint(max uint64) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > max {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapshotReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of elements, at most max, and at most the bytes left
// (each takes one at least), so that a few bad bytes cannot ask for gigabytes.
func (r *snapshotReader) count(max int) int { return int(r.uvarint(uint64(min(max, len(r.b))))) }

func (r *snapshotReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes reads a length and as many bytes, which stay the snapshot's.
func (r *snapshotReader) bytes() []byte {
	n := r.count(len(r.b))
	if n > len(r.b) {
		r.fail()
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}
