package search

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// Fields of an episode, by weight: a word in the title says more about the episode
// than one in its takeaways, which says more than one in the notes or a link's text.
const (
	fieldTitle = iota
	fieldTakeaways
	fieldNotes
	fieldLinks
	numFields
)

// fieldBoost weighs each field's BM25 score. A title match (about 6) outweighs a
// word mentioned once in the takeaways and the notes (about 3).
var fieldBoost = [numFields]float32{6, 2.5, 1, 0.5}

// BM25 parameters: k1 is how fast repetitions stop counting, b how much a long field
// is discounted. Titles are short and even, so their length matters less.
const k1 = 1.2

var fieldB = [numFields]float32{0.3, 0.6, 0.75, 0.6}

// posting is one document's occurrences of a term, per field, in 12 bytes so that
// the 10,000 episode index stays small. Counts saturate at 255, far past where BM25
// stops caring. pos is where the term first occurs in the notes (noPos if it does
// not): a snippet starts there without scanning long notes for it.
type posting struct {
	doc uint32
	tf  [numFields]uint8
	pos uint32
}

const noPos = ^uint32(0)

// docEntry is what the index keeps of an indexed document: what ranking needs,
// not the text (a catalogue's notes would be most of the index's memory); the
// text of the few results shown is read from the store (Result.Snippet).
type docEntry struct {
	id, feed int64
	number   int
	lens     [numFields]uint32
	// knorm is k1 times the BM25 length normalisation of each field, computed by
	// prepare from the average lengths.
	knorm [numFields]float32
	live  bool
}

// Index is an in-memory inverted index of episodes. It is safe for concurrent use:
// Add takes the write lock, Search the read lock (and, once after Adds, the write lock
// to sort the new words into the dictionary).
type Index struct {
	mu sync.RWMutex

	// Words: every folded token, plus the joins of adjacent tokens ("pub/sub" ->
	// "pubsub"). wordStems lists the stem ids of each word.
	words     map[string]uint32
	wordStr   []string
	wordPost  [][]posting
	wordStems [][]uint32
	// accented records the accented spellings already stemmed, so that each spelling
	// of a word adds its French stem once.
	accented map[string]bool

	// Stems: French and English stems of the words, in one space, so that an English
	// query finds French notes with the same root.
	stems    map[string]uint32
	stemStr  []string
	stemPost [][]posting

	// dict is the word ids sorted by word, for prefix and typo lookups; the words
	// added since the last sort are merged in by prepare.
	dict  []uint32
	dirty bool
	docs  []docEntry
	// runs are each feed's documents as runs of consecutive numbers, so that a
	// search in one feed reads only its part of each list (see prepare).
	runs     map[int64][]docRun
	byID     map[int64]uint32
	byNumber map[int][]uint32
	live     int
	lenSum   [numFields]uint64
	// withField counts the live documents that have each field: the average length
	// of takeaways is over episodes that have some.
	withField [numFields]int

	// Build scratch, reused between documents.
	tz        tokenizer
	docWords  map[uint32]posting
	docStems  map[uint32]posting
	stemBuf   []string
	prev      []byte
	prevStart int

	// packed is how many postings pack placed; moved how many have been left
	// behind since by lists that grew (see grow).
	packed, moved int

	// lazy holds a loaded snapshot's lists until queries need them
	// (LoadSnapshot); nil for an index built from documents.
	lazy *lazyLists

	// unshared turns shareStems off, for the test that checks sharing
	// changes no answer; unscoped makes a search in one feed read every list
	// whole, for the test that checks reading the feed's runs finds the same.
	unshared, unscoped bool

	// pool keeps searchers' per-document arrays between queries: allocating them
	// per query would make the garbage collector the slowest part of a search.
	pool sync.Pool
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	ix := &Index{}
	ix.reset()
	return ix
}

func (ix *Index) reset() {
	ix.words = map[string]uint32{}
	ix.wordStr, ix.wordPost, ix.wordStems = nil, nil, nil
	ix.accented = map[string]bool{}
	ix.stems = map[string]uint32{}
	ix.stemStr, ix.stemPost = nil, nil
	ix.dict = nil
	ix.docs = nil
	ix.runs = map[int64][]docRun{}
	ix.byID = map[int64]uint32{}
	ix.byNumber = map[int][]uint32{}
	ix.live = 0
	ix.packed, ix.moved = 0, 0
	ix.lenSum = [numFields]uint64{}
	ix.withField = [numFields]int{}
	ix.docWords = map[uint32]posting{}
	ix.docStems = map[uint32]posting{}
	ix.dirty = true
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Add indexes documents; a document whose ID is already indexed replaces the old
// version, so an episode the feed rewrote is found by its new text only.
func (ix *Index) Add(docs ...Doc) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.lazy != nil {
		ix.materialize()
		ix.lazy = nil
	}
	for _, d := range docs {
		if old, ok := ix.byID[d.ID]; ok {
			ix.remove(old)
		}
		ix.add(d)
	}
	// Replaced documents stay in the postings, skipped, until they outnumber the live
	// ones; then the index is rebuilt from the live documents.
	if dead := len(ix.docs) - ix.live; dead > 64 && dead > ix.live {
		ix.compact()
	}
	ix.dirty = true
}

func (ix *Index) remove(n uint32) {
	e := &ix.docs[n]
	e.live = false
	ix.live--
	for f := range numFields {
		ix.lenSum[f] -= uint64(e.lens[f])
		if e.lens[f] > 0 {
			ix.withField[f]--
		}
	}
	delete(ix.byID, e.id)
	if num := e.number; num > 0 {
		list := ix.byNumber[num]
		for i, m := range list {
			if m == n {
				ix.byNumber[num] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
}

// compact drops the replaced documents from the postings and renumbers the
// live ones, as if only they had been added.
func (ix *Index) compact() {
	const gone = ^uint32(0)
	renumber := make([]uint32, len(ix.docs))
	live := make([]docEntry, 0, ix.live)
	for i, e := range ix.docs {
		renumber[i] = gone
		if e.live {
			renumber[i] = uint32(len(live))
			live = append(live, e)
		}
	}
	keep := func(post []posting) []posting {
		out := post[:0]
		for _, p := range post {
			if n := renumber[p.doc]; n != gone {
				p.doc = n
				out = append(out, p)
			}
		}
		return slices.Clip(out)
	}
	// Stems first, into new lists: a stem may share its word's list
	// (shareStems), which keep rewrites in place.
	for st, post := range ix.stemPost {
		ix.stemPost[st] = keep(slices.Clone(post))
	}
	for w, post := range ix.wordPost {
		ix.wordPost[w] = keep(post)
	}
	ix.docs = live
	// The stems' lists are new: pack again.
	ix.moved = ix.packed + 1
	clear(ix.byID)
	clear(ix.byNumber)
	for n, e := range live {
		ix.byID[e.id] = uint32(n)
		if e.number > 0 {
			ix.byNumber[e.number] = append(ix.byNumber[e.number], uint32(n))
		}
	}
	// Pooled searchers are sized and cleared for the old numbering.
	ix.pool = sync.Pool{}
	ix.dirty = true
}

// add indexes one document; the caller holds the write lock.
func (ix *Index) add(d Doc) {
	n := uint32(len(ix.docs))
	ep := &d.Episode
	e := docEntry{id: d.ID, feed: d.FeedID, number: ep.Number, live: true}
	clear(ix.docWords)
	clear(ix.docStems)

	e.lens[fieldTitle] = ix.addText(fieldTitle, ep.Title)
	for _, t := range ep.Notes.Takeaways {
		e.lens[fieldTakeaways] += ix.addText(fieldTakeaways, t)
	}
	e.lens[fieldNotes] = ix.addText(fieldNotes, ep.NotesText)
	for _, l := range ep.Notes.Links {
		e.lens[fieldLinks] += ix.addText(fieldLinks, l.Text)
	}

	for w, p := range ix.docWords {
		p.doc = n
		ix.wordPost[w] = ix.grow(ix.wordPost[w], p)
		for _, s := range ix.wordStems[w] {
			sp, ok := ix.docStems[s]
			if !ok {
				sp.pos = noPos
			}
			sp.tf = addTF(sp.tf, p.tf)
			sp.pos = min(sp.pos, p.pos)
			ix.docStems[s] = sp
		}
	}
	for s, p := range ix.docStems {
		p.doc = n
		ix.stemPost[s] = ix.grow(ix.stemPost[s], p)
	}

	ix.docs = append(ix.docs, e)
	ix.byID[d.ID] = n
	if ep.Number > 0 {
		ix.byNumber[ep.Number] = append(ix.byNumber[ep.Number], n)
	}
	ix.live++
	for f := range numFields {
		ix.lenSum[f] += uint64(e.lens[f])
		if e.lens[f] > 0 {
			ix.withField[f]++
		}
	}
}

func addTF(a, b [numFields]uint8) [numFields]uint8 {
	for f := range numFields {
		a[f] = sat(int(a[f]) + int(b[f]))
	}
	return a
}

func sat(n int) uint8 {
	if n > 255 {
		return 255
	}
	return uint8(n)
}

// addText counts the words of one field of the current document and returns how many
// there were.
func (ix *Index) addText(field int, text string) uint32 {
	var count uint32
	ix.prev = ix.prev[:0]
	ix.tz.each(text, func(t *token) bool {
		count++
		w := ix.wordID(t.word, true)
		if t.lower != nil && !ix.accented[string(t.lower)] {
			ix.accented[string(t.lower)] = true
			ix.addStems(w, string(t.word), string(t.lower))
		}
		ix.bump(w, field, t.start)
		if len(ix.prev) > 0 && joinable(ix.prev, t.word, t.tight) {
			ix.prev = append(ix.prev, t.word...)
			ix.bump(ix.wordID(ix.prev, false), field, ix.prevStart)
		}
		ix.prev = append(ix.prev[:0], t.word...)
		ix.prevStart = t.start
		return true
	})
	return count
}

func (ix *Index) bump(w uint32, field, start int) {
	p, ok := ix.docWords[w]
	if !ok {
		p.pos = noPos
	}
	p.tf[field] = sat(int(p.tf[field]) + 1)
	if field == fieldNotes && p.pos == noPos {
		p.pos = uint32(start)
	}
	ix.docWords[w] = p
}

// joinable says whether two adjacent words are also indexed as one: those written
// with a joiner ("pub/sub", "A/B", "wi-fi"), and short non-stop words that people
// write both ways ("ML Ops" ~ "MLOps", "WPA 3" ~ "WPA3").
func joinable(a, b []byte, tight bool) bool {
	if tight {
		return true
	}
	if len(a) > 3 && len(b) > 3 {
		return false
	}
	return !stopwords[string(a)] && !stopwords[string(b)]
}

// wordID returns the id of a word, adding it (with its stems when stem is set) if new.
func (ix *Index) wordID(w []byte, stem bool) uint32 {
	if id, ok := ix.words[string(w)]; ok {
		return id
	}
	s := string(w)
	id := uint32(len(ix.wordStr))
	ix.words[s] = id
	ix.wordStr = append(ix.wordStr, s)
	ix.wordPost = append(ix.wordPost, nil)
	ix.wordStems = append(ix.wordStems, nil)
	ix.dirty = true
	if stem {
		ix.addStems(id, s, "")
	}
	return id
}

func (ix *Index) addStems(w uint32, folded, lower string) {
	ix.stemBuf = stems(ix.stemBuf, folded, lower)
	for _, s := range ix.stemBuf {
		sid, ok := ix.stems[s]
		if !ok {
			sid = uint32(len(ix.stemStr))
			ix.stems[s] = sid
			ix.stemStr = append(ix.stemStr, s)
			ix.stemPost = append(ix.stemPost, nil)
		}
		if !containsID(ix.wordStems[w], sid) {
			ix.wordStems[w] = append(ix.wordStems[w], sid)
		}
	}
}

func containsID(list []uint32, id uint32) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// prepare brings the read-side structures up to date after Adds: the sorted
// dictionary and the length normalisation of every document. It runs once per batch
// of Adds, at the next Search, so a bulk build does not sort per document.
// Prepare readies the index for searching after Adds: the first Search does it
// otherwise. Calling it after a build sorts the new words in and gives back the
// room the build left in the postings before the index settles in memory.
func (ix *Index) Prepare() { ix.prepare() }

// grow appends a posting to a list, counting the postings a full list leaves
// behind when it moves (in the pack, or wherever it was).
func (ix *Index) grow(l []posting, p posting) []posting {
	if len(l) == cap(l) {
		ix.moved += len(l)
	}
	return append(l, p)
}

// packWords does for the dictionary what pack does for the postings: the
// words and stems go into one string each, the maps are made again on them,
// and each word's stem ids go into one array. The record of accented
// spellings already stemmed, a build's shortcut, starts again empty: stemming
// one again adds nothing.
func (ix *Index) packWords() {
	ix.wordStr = packStrings(ix.wordStr)
	ix.words = make(map[string]uint32, len(ix.wordStr))
	for id, w := range ix.wordStr {
		ix.words[w] = uint32(id)
	}
	ix.stemStr = packStrings(ix.stemStr)
	ix.stems = make(map[string]uint32, len(ix.stemStr))
	for id, st := range ix.stemStr {
		ix.stems[st] = uint32(id)
	}
	n := 0
	for _, l := range ix.wordStems {
		n += len(l)
	}
	ids := make([]uint32, 0, n)
	for w, l := range ix.wordStems {
		start := len(ids)
		ids = append(ids, l...)
		// Clipped: a stem added later copies the list out.
		ix.wordStems[w] = ids[start:len(ids):len(ids)]
	}
	ix.accented = map[string]bool{}
}

// packStrings returns the strings as substrings of one.
func packStrings(in []string) []string {
	var b strings.Builder
	n := 0
	for _, s := range in {
		n += len(s)
	}
	b.Grow(n)
	for _, s := range in {
		b.WriteString(s)
	}
	all := b.String()
	out := make([]string, len(in))
	off := 0
	for i, s := range in {
		out[i] = all[off : off+len(s)]
		off += len(s)
	}
	return out
}

// pack copies every posting list into one allocation, stems that share their
// word's list (shareStems) still sharing it. A build leaves the lists scattered
// among the garbage of the episodes it read, so that the memory the garbage
// held cannot go back to the system; packed, it can, and one allocation without
// pointers is also nothing for the garbage collector to scan.
func (ix *Index) pack() {
	total := 0
	for _, l := range ix.wordPost {
		total += len(l)
	}
	shares := ix.stemShares()
	for st, l := range ix.stemPost {
		if shares[st] < 0 {
			total += len(l)
		}
	}
	ix.packWords()
	ix.packed, ix.moved = total, 0
	arena := make([]posting, 0, total)
	place := func(l []posting) []posting {
		if len(l) == 0 {
			return nil
		}
		start := len(arena)
		arena = append(arena, l...)
		return arena[start:len(arena):len(arena)]
	}
	for w, l := range ix.wordPost {
		ix.wordPost[w] = place(l)
	}
	for st, l := range ix.stemPost {
		if w := shares[st]; w >= 0 {
			ix.stemPost[st] = ix.wordPost[w]
		} else {
			ix.stemPost[st] = place(l)
		}
	}
}

func (ix *Index) prepare() {
	ix.mu.RLock()
	dirty := ix.dirty
	ix.mu.RUnlock()
	if !dirty {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.dirty {
		return
	}
	if len(ix.dict) < len(ix.wordStr) {
		fresh := make([]uint32, 0, len(ix.wordStr)-len(ix.dict))
		for id := uint32(len(ix.dict)); id < uint32(len(ix.wordStr)); id++ {
			fresh = append(fresh, id)
		}
		sort.Slice(fresh, func(i, j int) bool { return ix.wordStr[fresh[i]] < ix.wordStr[fresh[j]] })
		ix.dict = mergeSorted(ix.dict, fresh, ix.wordStr)
	}
	var avg [numFields]float32
	for f := range numFields {
		avg[f] = 1
		if ix.withField[f] > 0 && ix.lenSum[f] > 0 {
			avg[f] = float32(ix.lenSum[f]) / float32(ix.withField[f])
		}
	}
	for i := range ix.docs {
		e := &ix.docs[i]
		for f := range numFields {
			e.knorm[f] = k1 * (1 - fieldB[f] + fieldB[f]*float32(e.lens[f])/avg[f])
		}
	}
	ix.findRuns()
	if ix.lazy != nil {
		// A loaded snapshot's lists are as they were saved, or not read yet.
		ix.dirty = false
		return
	}
	trim(ix.wordPost)
	trim(ix.stemPost)
	ix.shareStems()
	// A build has moved every list; a poll, a few. Packing again once a
	// quarter of the pack has been left behind bounds what it wastes.
	if ix.moved > ix.packed/4 {
		ix.pack()
	}
	ix.dirty = false
}

// docRun is the documents numbered from start to end, end excluded.
type docRun struct{ start, end uint32 }

// findRuns finds each feed's runs of documents. A build adds a feed's
// episodes together, and a poll adds a few at the end: a feed is a few runs.
func (ix *Index) findRuns() {
	clear(ix.runs)
	for i := 0; i < len(ix.docs); {
		f, j := ix.docs[i].feed, i+1
		for j < len(ix.docs) && ix.docs[j].feed == f {
			j++
		}
		ix.runs[f] = append(ix.runs[f], docRun{uint32(i), uint32(j)})
		i = j
	}
}

// shareStems makes each stem that only one word has ("nintendo", "kubernetes")
// use that word's postings, which it duplicates: most stems are such, and
// sharing saves a fifth of the index. The shared list is clipped, so that
// appending to either copies it rather than write into the other's; compact
// reads the stems before it rewrites the words in place.
func (ix *Index) shareStems() {
	if ix.unshared {
		return
	}
	words := make([]int32, len(ix.stemStr))
	for w, sts := range ix.wordStems {
		for _, st := range sts {
			if words[st] == 0 {
				words[st] = int32(w) + 1
			} else {
				words[st] = -1
			}
		}
	}
	for st, w := range words {
		if w <= 0 {
			continue
		}
		wp, sp := ix.wordPost[w-1], ix.stemPost[st]
		// A word may get a stem after its first documents (an accented
		// spelling seen later): then the stem's list is shorter.
		if len(sp) == 0 || len(wp) != len(sp) || &wp[0] == &sp[0] || !slices.Equal(wp, sp) {
			continue
		}
		ix.stemPost[st] = slices.Clip(wp)
	}
}

// trim gives back the room that appending left at the end of posting lists (a
// quarter of their memory after a build): the index lives as long as the bot.
// A list trimmed and added to again grows and is trimmed again, at the next
// prepare after a poll, which is rare enough for the copy not to matter.
func trim(lists [][]posting) {
	for i, l := range lists {
		if cap(l)-len(l) > 4+len(l)/8 {
			lists[i] = slices.Clone(l)
		}
	}
}

// mergeSorted merges two lists of word ids sorted by word.
func mergeSorted(a, b []uint32, words []string) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if strings.Compare(words[a[i]], words[b[j]]) <= 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
