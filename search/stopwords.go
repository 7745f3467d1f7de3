package search

// stopwords are the French and English words too common to say what an episode is
// about. They are indexed (a query made only of them still finds titles), but a query
// with other words ignores them: they would cost a walk over most of the index and
// blur which documents match "more of the query".
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		// French
		"a", "au", "aux", "avec", "ce", "ces", "cet", "cette", "dans", "de", "des", "du",
		"elle", "en", "et", "eux", "il", "ils", "je", "la", "le", "les", "leur", "leurs",
		"lui", "ma", "mais", "me", "meme", "mes", "moi", "mon", "ne", "nos", "notre", "nous",
		"on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses", "son",
		"sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre", "vous",
		"est", "sont", "ete", "etre", "y", "d", "l", "c", "j", "m", "n", "s", "t",
		// English
		"an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "he", "in", "is",
		"it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will",
		"with", "what", "how", "we", "you", "your", "our", "i",
	} {
		m[w] = true
	}
	return m
}()
