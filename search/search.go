package search

import (
	"cmp"
	"maps"
	"math"
	"math/bits"
	"slices"
	"sort"
)

// How much each way of matching a query word counts, relative to the word itself.
// A stem, a join or a split is nearly as good as the word; an unfinished last word
// less, since it may finish otherwise; a typo least, and less the further it is.
const (
	weightExact  = 1.0
	weightStem   = 0.85
	weightJoin   = 0.9
	weightSplit  = 0.8
	weightPrefix = 0.7
	// weightStemPrefix is for words that begin with a query word's stem.
	weightStemPrefix = 0.6
	weightTypo1      = 0.5
	weightTypo2      = 0.3

	// numberScore is what a matching episode number adds; numberOnlyScore puts the
	// numbered episode first when the query is just a number ("17", "#17", "ep 17"),
	// above any episode merely mentioning 17.
	numberScore     = 20
	numberOnlyScore = 1000

	// Bounds on expansions, which keep every query under a couple of milliseconds on
	// 10,000 episodes: the most frequent completions of a prefix (and at most
	// maxPrefixPostings postings over them), the closest typo candidates.
	maxPrefixTerms    = 32
	maxPrefixPostings = 40000
	maxTypoTerms      = 16

	minPrefixLen = 2
	// minSplitLen is the shortest half of a split word: shorter halves ("do", "en")
	// are in every document. Two-letter words joined to another ("ML Ops") are
	// indexed joined instead.
	minSplitLen      = 3
	minStemPrefixLen = 5
	// Typos are forgiven on words long enough to be recognisable: one edit from 5
	// letters, two from 8.
	minTypo1Len = 5
	minTypo2Len = 8
)

// Search returns the documents that best match the query, best first, at most limit
// (10 when limit <= 0). A blank query finds nothing.
func (ix *Index) Search(q string, limit int) []Result {
	return ix.SearchFeed(q, 0, limit)
}

// SearchFeed is Search among one feed's documents (every feed's when feedID is
// 0): the others are left out before the best are chosen, so that asking for
// the limit a person sees is enough, and only those get a snippet.
func (ix *Index) SearchFeed(q string, feedID int64, limit int) []Result {
	if limit <= 0 {
		limit = 10
	}
	pq := parseQuery(q)
	if len(pq.words) == 0 {
		return nil
	}
	ix.prepare()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.live == 0 {
		return nil
	}
	s := ix.searcher()
	defer ix.release(s)
	if feedID != 0 {
		s.feed, s.runs = feedID, ix.runs[feedID]
		if len(s.runs) == 0 {
			return nil
		}
	}
	s.run(pq)
	top := s.top(limit, feedID)
	if len(top) == 0 {
		return nil
	}
	// What the query matched, for the results' snippets: the searcher's own
	// marks go back to the pool.
	m := &marks{words: maps.Clone(s.marks.words), stems: maps.Clone(s.marks.stems), joins: maps.Clone(s.marks.joins)}
	m.heads = stemHeads(m.stems)
	out := make([]Result, len(top))
	for i, h := range top {
		e := &ix.docs[h.doc]
		out[i] = Result{ID: e.id, FeedID: e.feed, Number: e.number, Score: float64(h.score), marks: m, pos: s.pos[h.doc]}
	}
	return out
}

// searcher is the state of one query: per-document accumulators, sized to the index.
type searcher struct {
	ix *Index
	// feed is the feed searched, 0 for every feed; runs are its documents.
	// Other feeds' documents are not scored at all, so that the looser ways of
	// matching a word (typos, splits) are tried when it is in no document of
	// this feed.
	feed int64
	runs []docRun
	// total is each document's score so far; covered the query words it matched.
	total   []float32
	covered []uint64
	touched []uint32
	// best is each document's best score for the current query word, over the ways
	// the word can match; unitDocs the documents it has touched.
	best     []float32
	unitDocs []uint32
	// pos is where each document's notes first match, noPos if they do not.
	pos     []uint32
	marks   marks
	stemBuf []string
}

// searcher returns a searcher sized to the index, from the pool when one is there.
func (ix *Index) searcher() *searcher {
	n := len(ix.docs)
	s, _ := ix.pool.Get().(*searcher)
	if s == nil || len(s.total) < n {
		s = &searcher{
			total:   make([]float32, n),
			covered: make([]uint64, n),
			best:    make([]float32, n),
			pos:     make([]uint32, n),
			marks:   newMarks(),
		}
		for i := range s.pos {
			s.pos[i] = noPos
		}
	}
	s.ix = ix
	return s
}

// release clears what a query wrote, only where it wrote, and pools the searcher.
func (ix *Index) release(s *searcher) {
	for _, d := range s.touched {
		s.total[d], s.covered[d], s.pos[d] = 0, 0, noPos
	}
	s.touched = s.touched[:0]
	clear(s.marks.words)
	clear(s.marks.stems)
	clear(s.marks.joins)
	s.ix, s.feed, s.runs = nil, 0, nil
	ix.pool.Put(s)
}

func (s *searcher) run(q query) {
	// Stop words count only in a query made of nothing else; "episode" only when the
	// query is "episode 17".
	var content []int
	for i, w := range q.words {
		if !w.stop && !(q.number > 0 && numberWords[w.word] && len(q.words) == 2 && i == 0) {
			content = append(content, i)
		}
	}
	if len(content) == 0 {
		for i := range q.words {
			content = append(content, i)
		}
	}
	bit := map[int]uint64{}
	for k, i := range content {
		if k < 64 {
			bit[i] = 1 << k
		}
	}
	last := len(q.words) - 1
	for _, i := range content {
		s.word(q.words[i], i == last, q.number)
		s.flush(bit[i])
	}
	// Adjacent words written apart in the query but joined in the episode:
	// "ML Ops" ~ "MLOps", "pub sub" ~ "pubsub".
	for i := 0; i+1 < len(q.words); i++ {
		j := q.words[i].word + q.words[i+1].word
		if id, ok := s.ix.words[j]; ok {
			s.postings(s.ix.wordList(id), weightJoin)
			s.marks.joins[j] = true
			s.flush(bit[i] | bit[i+1])
		}
	}
	n := float32(min(len(content), 64))
	for _, d := range s.touched {
		// Documents matching more of the query rank higher: the score is scaled by
		// the square of the share of query words matched.
		cov := float32(bits.OnesCount64(s.covered[d])) / n
		s.total[d] *= cov * cov
	}
}

// word scores the documents for one query word, in every way it can match. The
// costlier and looser ways (a split, a stem's completions, typos) are tried only when
// the word as typed found nothing.
func (s *searcher) word(w qword, last bool, number int) {
	ix := s.ix
	var exact []posting
	if id, ok := ix.words[w.word]; ok {
		exact = ix.wordList(id)
		s.postings(exact, weightExact)
		s.marks.words[w.word] = true
	}
	s.stemBuf = stems(s.stemBuf, w.word, w.lower)
	for _, st := range s.stemBuf {
		if id, ok := ix.stems[st]; ok {
			// A stem that only this word has shares its list (shareStems):
			// scored again, lower, it would change nothing.
			if list := ix.stemList(id); !sameList(list, exact) {
				s.postings(list, weightStem)
			}
			s.marks.stems[st] = true
		}
	}
	if last && len(w.word) >= minPrefixLen {
		s.prefix(w.word, weightPrefix)
	}
	direct := len(s.unitDocs) > 0
	if !direct && len(w.word) >= 2*minSplitLen {
		s.split(w.word)
	}
	if !direct {
		// Stemmers disagree on some inflections ("autoscale" -> "autoscal",
		// "autoscaling" -> "autosc"): a word found in no other way may be the stem of
		// an indexed word.
		for _, st := range s.stemBuf {
			if len(st) >= minStemPrefixLen {
				s.prefix(st, weightStemPrefix)
			}
		}
	}
	// A split may find a document holding two unrelated halves; typos still run,
	// and the better match wins.
	if !direct && len(w.word) >= minTypo1Len {
		s.typos(w.word)
	}
	n := 0
	switch {
	case isDigits(w.word):
		n = atoi(w.word)
	case number > 0:
		n = number // "ep17"
	}
	if n > 0 {
		score := float32(numberScore)
		if n == number {
			score = numberOnlyScore
		}
		for _, d := range ix.byNumber[n] {
			if s.inFeed(&ix.docs[d]) {
				s.score(d, score)
			}
		}
	}
}

// prefix scores the completions of an unfinished last word, most frequent first.
func (s *searcher) prefix(p string, weight float32) {
	ix := s.ix
	r := ix.prefixRange(p)
	var terms []uint32
	for _, id := range r {
		if len(ix.wordStr[id]) > len(p) {
			terms = append(terms, id)
		}
	}
	if len(terms) > maxPrefixTerms {
		sort.Slice(terms, func(i, j int) bool { return ix.wordDF(terms[i]) > ix.wordDF(terms[j]) })
		terms = terms[:maxPrefixTerms]
	}
	budget := maxPrefixPostings
	for _, id := range terms {
		df := ix.wordDF(id)
		if df > budget {
			continue
		}
		budget -= df
		s.postings(ix.wordList(id), weight)
		s.marks.words[ix.wordStr[id]] = true
	}
}

// split scores a word that is two indexed words written together ("pubsub" ~
// "pub/sub", "mlops" ~ "ML Ops"): documents holding both halves.
func (s *searcher) split(w string) {
	ix := s.ix
	for k := minSplitLen; k <= len(w)-minSplitLen; k++ {
		a, okA := ix.words[w[:k]]
		b, okB := ix.words[w[k:]]
		if !okA || !okB {
			continue
		}
		s.marks.words[w[:k]] = true
		s.marks.words[w[k:]] = true
		pa, pb := ix.wordList(a), ix.wordList(b)
		idfA, idfB := s.idf(len(pa)), s.idf(len(pb))
		for i, j := 0, 0; i < len(pa) && j < len(pb); {
			switch {
			case pa[i].doc < pb[j].doc:
				i++
			case pa[i].doc > pb[j].doc:
				j++
			default:
				e := &ix.docs[pa[i].doc]
				if e.live && s.inFeed(e) {
					sc := (idfA*bm25f(e, pa[i].tf) + idfB*bm25f(e, pb[j].tf)) / 2
					s.score(pa[i].doc, sc*weightSplit)
					s.pos[pa[i].doc] = min(s.pos[pa[i].doc], pa[i].pos, pb[j].pos)
				}
				i++
				j++
			}
		}
	}
}

// typos scores the dictionary words one or two edits away from a word that matched
// nothing as typed.
func (s *searcher) typos(w string) {
	ix := s.ix
	maxDist := 1
	if len(w) >= minTypo2Len {
		maxDist = 2
	}
	type cand struct {
		id   uint32
		dist int
	}
	var cands []cand
	ix.fuzzy(w, maxDist, func(id uint32, dist int) { cands = append(cands, cand{id, dist}) })
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return ix.wordDF(cands[i].id) > ix.wordDF(cands[j].id)
	})
	if len(cands) > maxTypoTerms {
		cands = cands[:maxTypoTerms]
	}
	for _, c := range cands {
		weight := float32(weightTypo1)
		if c.dist > 1 {
			weight = weightTypo2
		}
		s.postings(ix.wordList(c.id), weight)
		s.marks.words[ix.wordStr[c.id]] = true
	}
}

func (s *searcher) idf(df int) float32 {
	n := float64(len(s.ix.docs))
	return float32(math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5)))
}

// bm25f is a document's BM25 score for a term, summed over the fields with their
// boosts. Each field saturates on its own, so that many mentions in long notes do not
// outweigh one in the title.
func bm25f(e *docEntry, tf [numFields]uint8) float32 {
	var sc float32
	for f := range numFields {
		if tf[f] > 0 {
			t := float32(tf[f])
			sc += fieldBoost[f] * t * (k1 + 1) / (t + e.knorm[f])
		}
	}
	return sc
}

// postings scores the documents of one term for the current query word. In
// one feed, it reads the parts of the list within the feed's runs, found by
// binary search, unless the feed is in so many runs that reading the whole list
// costs less.
func (s *searcher) postings(post []posting, weight float32) {
	idf := s.idf(len(post)) * weight
	if s.feed == 0 || len(s.runs)*runSearchCost >= len(post) || s.ix.unscoped {
		s.scoreAll(post, idf, s.feed)
		return
	}
	for _, r := range s.runs {
		post = post[firstAtLeast(post, r.start):]
		n := firstAtLeast(post, r.end)
		s.scoreAll(post[:n], idf, 0)
		post = post[n:]
		if len(post) == 0 {
			break
		}
	}
}

// runSearchCost is about what finding a run's part of a list costs, in
// postings read.
const runSearchCost = 16

// scoreAll scores the live documents of post of the feed (of any when feed is 0).
func (s *searcher) scoreAll(post []posting, idf float32, feed int64) {
	docs := s.ix.docs
	for _, p := range post {
		e := &docs[p.doc]
		if e.live && (feed == 0 || e.feed == feed) {
			s.score(p.doc, idf*bm25f(e, p.tf))
			s.pos[p.doc] = min(s.pos[p.doc], p.pos)
		}
	}
}

// firstAtLeast returns the index of the first posting of post, sorted by
// document, whose document is at least doc (len(post) if none is).
func firstAtLeast(post []posting, doc uint32) int {
	i, _ := slices.BinarySearchFunc(post, doc, func(p posting, doc uint32) int { return cmp.Compare(p.doc, doc) })
	return i
}

// sameList reports whether a and b are one list of postings.
func sameList(a, b []posting) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// inFeed reports whether a document is in the feed searched.
func (s *searcher) inFeed(e *docEntry) bool {
	return s.feed == 0 || e.feed == s.feed
}

// score keeps a document's best score for the current query word.
func (s *searcher) score(d uint32, sc float32) {
	if sc <= s.best[d] {
		return
	}
	if s.best[d] == 0 {
		s.unitDocs = append(s.unitDocs, d)
	}
	s.best[d] = sc
}

// flush adds the current query word's scores to the totals.
func (s *searcher) flush(bit uint64) {
	for _, d := range s.unitDocs {
		if s.total[d] == 0 && s.covered[d] == 0 {
			s.touched = append(s.touched, d)
		}
		s.total[d] += s.best[d]
		s.covered[d] |= bit
		s.best[d] = 0
	}
	s.unitDocs = s.unitDocs[:0]
}
