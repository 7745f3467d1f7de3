package shownotes

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The words the rules look for, per language. Every phrase is written folded
// (lower case, no accents, typographic apostrophes as "'"; see fold) and is
// matched on word boundaries. To support a language, add an entry: nothing
// else changes.
type language struct {
	// takeaways head a section of key points ("Key takeaways", "Points clés").
	takeaways []string
	// leadIns introduce a list of what the episode covers ("In this episode we
	// cover:", "en particulier :"); the list after them is the takeaways when the
	// notes have no takeaways section.
	leadIns []string
	// sections name the other sections of notes (links, credits…): on a line of
	// their own, or run into flattened text, they are headings.
	sections []string
	// linkSections are words of a heading whose list is links, not key points.
	linkSections []string
	// credits are words of a heading whose times are credits, not chapters.
	credits []string
	// chapters are words that announce a list of timestamps.
	chapters []string
	// footers are words of a heading over the podcast's own links (follow us,
	// subscribe, support), kept apart from the episode's references.
	footers []string
	// promo are phrases of sponsor reads, promo codes and calls to subscribe,
	// follow, review or support: the sentence holding one is promotional.
	promo []string
	// sponsorIntros open a sponsor read: the sentences after one that speak of
	// the sponsor belong to the read.
	sponsorIntros []string
	// greetings open a sentence that is not a statement ("Hello and welcome").
	greetings []string
	// warnings open a line that warns rather than summarises ("Content
	// warning:", "Attention :").
	warnings []string
	// months name the months, so that "am 3. Oktober" is not cut after "3.".
	months []string
	// ordinalWords come before a number that is an ordinal ("am 3.", "der 2.").
	ordinalWords []string
	// abbreviations end with a "." that ends no sentence ("Dr.", "bzw.").
	abbreviations []string
}

// languages are the languages the rules know, by ISO 639-1 code.
var languages = map[string]language{
	"en": {
		takeaways: []string{
			"key takeaways", "main takeaways", "top takeaways", "takeaways", "key points", "main points",
			"key learnings", "key insights", "lessons learned", "lessons learnt", "highlights",
			"episode highlights", "show highlights", "what you'll learn", "what you will learn",
			"in this episode, you'll learn", "in this episode you'll learn", "in this episode, you will learn",
			"in this episode you will learn", "you'll learn", "you will learn", "what we learned", "tl;dr", "tldr",
		},
		leadIns: []string{
			"we cover", "we'll cover", "we discuss", "we talk about", "we talk", "in this episode",
			"in today's episode", "this episode", "topics covered", "topics include", "we dive into",
			"we also discuss", "we get into", "we explore", "including", "on this episode",
			"we chat about", "we go over", "topics discussed", "discussed in this episode",
		},
		sections: []string{
			"further reading", "show notes", "shownotes", "references", "reference", "resources",
			"bibliography", "glossary", "credits", "links", "sources", "source", "to go further",
			"mentioned in this episode", "transcript", "episode links", "links mentioned",
			"chapters", "timestamps", "sponsors", "our sponsors", "about the guest", "connect with us",
			"follow us", "support the show",
		},
		linkSections: []string{
			"link", "resource", "reference", "bibliograph", "source", "show notes", "shownotes",
			"credit", "glossa", "reading", "further", "mentioned", "more ", "follow", "find us",
			"transcript", "sponsor", "connect", "social", "subscribe", "support",
		},
		credits:  []string{"credit", "music", "sources audio"},
		chapters: []string{"chapter", "timestamp", "timecode", "time stamps", "time codes", "table of contents", "outline"},
		footers: []string{
			"follow us", "follow the show", "find us", "connect with us", "connect with", "subscribe",
			"support the show", "support us", "support the podcast", "listen on", "stay in touch",
			"where to find us", "social", "about the show", "about the podcast", "more from",
		},
		promo: []string{
			"sponsored by", "brought to you by", "thanks to our sponsor", "thanks to our sponsors",
			"thank you to our sponsor", "thank you to our sponsors", "thanks to today's sponsor",
			"today's sponsor", "this episode is sponsored", "this episode is brought to you",
			"our sponsor", "our sponsors", "a word from our sponsor", "promo code", "use code",
			"use the code", "using code", "using the code", "with code", "with the code", "discount code",
			"coupon code", "offer code", "support the show", "support this show", "support this podcast",
			"support the podcast", "support us on", "support us at", "become a patron", "become a supporter",
			"join our patreon", "on patreon", "patreon.com", "leave us a review", "leave a review",
			"rate and review", "rate, review", "rate us", "review us", "write a review", "five-star review",
			"5-star review", "five star review", "5 star review", "please subscribe", "subscribe to the show",
			"subscribe to our", "subscribe on", "subscribe wherever", "like and subscribe", "follow us on",
			"follow the show", "follow us wherever", "tell a friend", "share this episode",
			"if you enjoyed this episode", "if you enjoy the show", "if you like the show",
			"hosted on acast", "acast.com/privacy", "omnystudio.com/listener", "learn more about your ad choices",
			"megaphone.fm/adchoices", "podcastchoices.com/adchoices", "see privacy policy at",
			"california privacy notice", "art19.com/privacy", "for more information on how we use your data",
			"privacy & opt-out", "powered by ausha", "visit podcastics", "see anchor.fm/privacy",
			"advertise on", "advertising inquiries", "ad-free", "ad free", "buy me a coffee", "ko-fi.com",
			"subscribe to", "search for and subscribe", "wondery+", "boost us", "download the mp3",
			"come find us", "come see us", "come say hi", "find us on", "find us at",
			"for your iphone", "for your android", "app for your", "get our app", "download our app", "get the app",
			"mp3 file", "download the episode",
		},
		sponsorIntros: []string{
			"sponsored by", "brought to you by", "thanks to our sponsor", "thanks to our sponsors",
			"thank you to our sponsor", "thank you to our sponsors", "thanks to today's sponsor",
			"today's sponsor", "this episode is sponsored", "this episode is brought to you",
			"a word from our sponsor", "our sponsor", "our sponsors",
		},
		greetings: []string{
			"hello", "hi", "hey", "welcome", "greetings", "good morning", "good evening", "howdy",
			"happy new year", "merry christmas", "what's up", "see you", "see ya", "bye", "goodbye",
			"until next time", "till next time", "stay tuned", "enjoy the show", "enjoy the episode",
			"happy listening", "thanks for listening", "thank you for listening", "cheers",
			"thanks to all", "thank you to all", "thanks to everyone", "thanks to our", "special thanks",
		},
		warnings: []string{
			"warning", "content warning", "trigger warning", "cw", "tw", "note", "please note",
			"disclaimer", "explicit", "spoiler warning", "spoilers", "heads up", "nsfw",
		},
		months: []string{
			"january", "february", "march", "april", "may", "june", "july", "august",
			"september", "october", "november", "december",
		},
		abbreviations: []string{
			"mr", "mrs", "ms", "dr", "st", "vs", "cf", "no", "fig", "vol", "inc", "ltd", "jr", "sr",
			"prof", "approx", "ex", "pp", "ca", "av", "ep", "eps", "nr", "mt", "ft", "gen", "gov",
			"sen", "rep", "rev", "lt", "col", "sgt", "capt", "dept", "jan", "feb", "apr",
			"jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
		},
	},
	"fr": {
		takeaways: []string{
			"ce qu'il faut retenir", "ce qu'on retient", "ce que l'on retient", "ce que nous retenons",
			"les points cles", "points cles", "points a retenir", "a retenir", "les enseignements",
			"les lecons", "lecons apprises", "les points importants", "points importants",
			"ce que vous allez apprendre", "ce que vous apprendrez", "vous allez apprendre",
			"vous apprendrez", "dans cet episode, vous apprendrez", "dans cet episode vous apprendrez",
			"les temps forts", "temps forts", "faits marquants", "l'essentiel", "en resume",
		},
		leadIns: []string{
			"en particulier", "notamment", "on aborde", "nous abordons", "nous aborderons",
			"on y aborde", "au programme", "au menu", "on parle", "on y parle", "nous parlons",
			"on evoque", "nous evoquons", "on revient sur", "nous revenons sur", "on y retrouve",
			"cet episode", "dans cet episode", "on discute", "nous discutons",
		},
		sections: []string{
			"pour aller plus loin", "references", "ressources", "bibliographie", "glossaire",
			"credits", "liens", "sources", "lectures", "chapitres", "sommaire", "sponsors",
			"partenaires", "nous suivre", "suivez-nous", "liens utiles", "liens de l'episode",
		},
		linkSections: []string{
			"lien", "ressource", "reference", "bibliograph", "source", "credit", "glossa", "lecture",
			"plus loin", "mentionne", "suivre", "retrouve", "sponsor", "partenaire", "soutenir",
		},
		credits:  []string{"credit", "musique", "generique", "sources audio"},
		chapters: []string{"chapitre", "minutage", "sommaire", "horodatage", "table des matieres"},
		footers: []string{
			"suivez-nous", "nous suivre", "retrouvez-nous", "nous retrouver", "abonnez-vous",
			"soutenez", "nous soutenir", "soutenir le podcast", "pour nous suivre", "reseaux sociaux",
			"a propos du podcast", "ecoutez-nous",
		},
		promo: []string{
			"sponsorise par", "parraine par", "en partenariat avec", "merci a notre sponsor",
			"merci a nos sponsors", "merci a notre partenaire", "notre sponsor", "nos sponsors",
			"code promo", "avec le code", "utilisez le code", "code de reduction", "abonnez-vous",
			"abonne-toi", "abonnez vous", "laissez-nous un avis", "laissez un avis", "laissez-nous une note",
			"5 etoiles", "cinq etoiles", "notez le podcast", "soutenez le podcast", "soutenir le podcast",
			"soutenez-nous", "nous soutenir", "sur patreon", "sur tipeee", "suivez-nous", "partagez cet episode",
			"n'hesitez pas a vous abonner", "n'hesitez pas a laisser", "n'hesitez pas a partager",
			"cet episode vous est offert par", "episode sponsorise",
		},
		sponsorIntros: []string{
			"sponsorise par", "parraine par", "merci a notre sponsor", "merci a nos sponsors",
			"merci a notre partenaire", "cet episode vous est offert par", "episode sponsorise",
			"en partenariat avec", "notre sponsor",
		},
		greetings: []string{
			"bonjour", "salut", "bienvenue", "bonsoir", "coucou", "bonne annee", "joyeux noel",
			"a bientot", "a la semaine prochaine", "a la prochaine", "bonne ecoute", "merci de votre ecoute",
			"merci pour votre ecoute", "merci a tous", "merci a toutes", "merci aux", "un grand merci",
		},
		warnings: []string{"attention", "avertissement", "avis", "note", "nb", "a noter"},
		months: []string{
			"janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
			"septembre", "octobre", "novembre", "decembre",
		},
		abbreviations: []string{"mme", "mlle", "mm", "env", "p", "pp", "ep", "chap", "cf"},
	},
	"es": {
		takeaways: []string{
			"puntos clave", "puntos claves", "ideas clave", "conclusiones clave", "conclusiones",
			"lo que aprenderas", "que aprenderas", "aprenderas", "en este episodio aprenderas",
			"lecciones aprendidas", "aspectos destacados", "lo mas destacado", "destacados", "para recordar",
		},
		leadIns: []string{
			"en este episodio", "hablamos de", "hablamos sobre", "conversamos sobre", "en particular",
			"temas tratados", "temas del episodio", "entre otros temas",
		},
		sections: []string{
			"enlaces", "recursos", "referencias", "fuentes", "bibliografia", "creditos", "capitulos",
			"patrocinadores", "siguenos",
		},
		linkSections: []string{"enlace", "recurso", "referencia", "fuente", "bibliograf", "credito", "patrocin", "siguenos", "redes"},
		credits:      []string{"creditos", "musica"},
		chapters:     []string{"capitulo", "marcas de tiempo"},
		footers:      []string{"siguenos", "redes sociales", "suscribete", "apoya el podcast", "apoyanos", "donde escucharnos"},
		promo: []string{
			"patrocinado por", "gracias a nuestro patrocinador", "gracias a nuestros patrocinadores",
			"nuestro patrocinador", "codigo promocional", "codigo de descuento", "usa el codigo",
			"con el codigo", "suscribete", "deja una resena", "dejanos una resena", "dejanos tu valoracion",
			"5 estrellas", "cinco estrellas", "siguenos en", "apoya el podcast", "apoyanos", "en patreon",
			"comparte este episodio",
		},
		sponsorIntros: []string{"patrocinado por", "gracias a nuestro patrocinador", "gracias a nuestros patrocinadores", "nuestro patrocinador"},
		greetings:     []string{"hola", "bienvenidos", "bienvenidas", "bienvenido", "bienvenida", "buenos dias", "buenas tardes", "buenas noches", "hasta pronto", "hasta la proxima", "gracias por escuchar"},
		warnings:      []string{"aviso", "advertencia", "atencion", "nota"},
		months: []string{
			"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
			"septiembre", "setiembre", "octubre", "noviembre", "diciembre",
		},
		abbreviations: []string{"sr", "sra", "srta", "dra", "ud", "uds", "pag", "num", "aprox", "ej"},
	},
	"de": {
		takeaways: []string{
			"die wichtigsten erkenntnisse", "wichtigste erkenntnisse", "wichtigsten erkenntnisse",
			"erkenntnisse", "kernaussagen", "die wichtigsten punkte", "wichtigste punkte",
			"das wichtigste", "das lernst du", "was du lernst", "was du lernen wirst",
			"in dieser folge lernst du", "lernziele", "auf einen blick",
		},
		leadIns: []string{
			"in dieser folge", "in dieser episode", "in der heutigen folge", "heute geht es um",
			"es geht um", "wir sprechen uber", "wir reden uber", "unter anderem", "themen",
			"die themen",
		},
		sections: []string{
			"links", "quellen", "literatur", "weiterfuhrende links", "shownotes", "kapitel", "credits",
			"sponsoren", "folgt uns", "ressourcen",
		},
		linkSections: []string{"link", "quelle", "literatur", "ressource", "weiterfuhrend", "sponsor", "folgt", "folge uns", "werbung", "partner"},
		credits:      []string{"credits", "musik", "abspann"},
		chapters:     []string{"kapitel", "zeitmarken", "zeitstempel", "inhalt", "inhaltsverzeichnis"},
		footers:      []string{"folgt uns", "folge uns", "abonniere", "abonniert", "unterstutze", "unterstutzt", "social media", "uber den podcast"},
		promo: []string{
			"gesponsert von", "prasentiert von", "unterstutzt von", "in kooperation mit",
			"werbung", "anzeige", "rabattcode", "gutscheincode", "mit dem code", "mit dem gutscheincode",
			"abonniere", "abonniert uns", "abonniert den podcast", "bewertet uns", "bewerte uns",
			"bewertung auf", "5 sterne", "funf sterne", "folgt uns", "folge uns", "unterstutze uns",
			"unterstutzt uns", "auf patreon", "auf steady", "teilt diese folge",
		},
		sponsorIntros: []string{"gesponsert von", "prasentiert von", "unterstutzt von", "in kooperation mit", "werbung", "anzeige"},
		greetings:     []string{"hallo", "willkommen", "herzlich willkommen", "moin", "servus", "guten morgen", "guten tag", "guten abend", "gruss gott", "bis bald", "bis zum nachsten mal", "viel spass beim horen", "danke furs zuhoren"},
		warnings:      []string{"achtung", "hinweis", "warnung", "triggerwarnung", "inhaltswarnung"},
		months: []string{
			"januar", "februar", "marz", "april", "mai", "juni", "juli", "august",
			"september", "oktober", "november", "dezember", "jan", "feb", "apr", "jun", "jul",
			"aug", "sep", "sept", "okt", "nov", "dez",
		},
		ordinalWords: []string{
			"am", "im", "vom", "zum", "ab", "bis", "seit", "der", "die", "das", "den", "dem", "des",
			"zur", "beim", "fur", "dieser", "diesem", "jeden",
		},
		abbreviations: []string{"bzw", "ca", "vgl", "evtl", "ggf", "inkl", "nr", "hr", "fr", "dr", "str", "usw", "zb", "u.a", "z.b", "d.h"},
	},
	"it": {
		takeaways: []string{
			"punti chiave", "i punti chiave", "cosa imparerai", "imparerai", "lezioni apprese",
			"in evidenza", "punti salienti", "i punti salienti", "da ricordare", "cose da ricordare",
		},
		leadIns: []string{"in questo episodio", "parliamo di", "abbiamo parlato di", "argomenti", "in particolare", "tra cui"},
		sections: []string{
			"link", "collegamenti", "risorse", "riferimenti", "fonti", "bibliografia", "crediti",
			"capitoli", "sponsor", "seguici",
		},
		linkSections: []string{"link", "collegament", "risors", "riferiment", "fonti", "bibliograf", "credit", "seguici"},
		credits:      []string{"crediti", "musica"},
		chapters:     []string{"capitoli", "capitolo", "minutaggio"},
		footers:      []string{"seguici", "iscriviti", "sostienici", "sostieni il podcast", "social"},
		promo: []string{
			"sponsorizzato da", "offerto da", "grazie al nostro sponsor", "grazie ai nostri sponsor",
			"il nostro sponsor", "codice sconto", "codice promozionale", "con il codice", "iscriviti",
			"lascia una recensione", "lasciaci una recensione", "5 stelle", "cinque stelle", "seguici su",
			"sostieni il podcast", "supporta il podcast", "sostienici", "su patreon",
		},
		sponsorIntros: []string{"sponsorizzato da", "offerto da", "grazie al nostro sponsor", "grazie ai nostri sponsor", "il nostro sponsor"},
		greetings:     []string{"ciao", "benvenuti", "benvenute", "benvenuto", "benvenuta", "buongiorno", "buonasera", "salve", "a presto", "alla prossima", "buon ascolto", "grazie per l'ascolto"},
		warnings:      []string{"attenzione", "avviso", "avvertenza", "nota"},
		months: []string{
			"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
			"settembre", "ottobre", "novembre", "dicembre",
		},
		abbreviations: []string{"sig", "sigg", "dott", "ing", "pag", "ecc", "ca"},
	},
	"pt": {
		takeaways: []string{
			"pontos-chave", "pontos chave", "principais pontos", "pontos principais", "principais licoes",
			"licoes aprendidas", "o que voce vai aprender", "voce vai aprender", "o que voce aprendera",
			"destaques", "principais destaques", "para lembrar",
		},
		leadIns: []string{"neste episodio", "falamos sobre", "conversamos sobre", "em particular", "entre outros", "temas"},
		sections: []string{
			"links", "ligacoes", "recursos", "referencias", "fontes", "bibliografia", "creditos",
			"capitulos", "patrocinadores", "siga-nos",
		},
		linkSections: []string{"link", "ligac", "recurso", "referencia", "fonte", "bibliograf", "credito", "patrocin", "siga"},
		credits:      []string{"creditos", "musica"},
		chapters:     []string{"capitulo", "marcacoes de tempo"},
		footers:      []string{"siga-nos", "siga a gente", "inscreva-se", "assine", "apoie", "redes sociais"},
		promo: []string{
			"patrocinado por", "oferecido por", "agradecimento ao nosso patrocinador", "nosso patrocinador",
			"codigo promocional", "cupom de desconto", "cupom", "com o codigo", "use o codigo",
			"inscreva-se", "assine o podcast", "deixe uma avaliacao", "deixe sua avaliacao", "5 estrelas",
			"cinco estrelas", "siga-nos", "siga a gente", "apoie o podcast", "apoia.se", "no patreon",
		},
		sponsorIntros: []string{"patrocinado por", "oferecido por", "agradecimento ao nosso patrocinador", "nosso patrocinador"},
		greetings:     []string{"ola", "bem-vindos", "bem-vindas", "bem-vindo", "bem-vinda", "bom dia", "boa tarde", "boa noite", "ate logo", "ate a proxima", "boa audicao", "obrigado por ouvir"},
		warnings:      []string{"aviso", "atencao", "nota"},
		months: []string{
			"janeiro", "fevereiro", "marco", "abril", "maio", "junho", "julho", "agosto",
			"setembro", "outubro", "novembro", "dezembro",
		},
		abbreviations: []string{"sr", "sra", "dr", "dra", "pag"},
	},
}

// The union of every language's words, by use: notes rarely say which language
// they are in, and one episode often mixes two.
var (
	takeawaysPhrases   = allWords(func(l language) []string { return l.takeaways })
	leadInPhrases      = allWords(func(l language) []string { return l.leadIns })
	sectionPhrases     = allWords(func(l language) []string { return l.sections })
	linkSectionWords   = allWords(func(l language) []string { return l.linkSections })
	creditSectionWords = allWords(func(l language) []string { return l.credits })
	chapterWords       = allWords(func(l language) []string { return l.chapters })
	footerWords        = allWords(func(l language) []string { return l.footers })
	promoPhrases       = allWords(func(l language) []string { return l.promo })
	sponsorIntros      = allWords(func(l language) []string { return l.sponsorIntros })
	greetingWords      = allWords(func(l language) []string { return l.greetings })
	warningWords       = allWords(func(l language) []string { return l.warnings })
	monthWords         = wordSet(allWords(func(l language) []string { return l.months }))
	ordinalWords       = wordSet(allWords(func(l language) []string { return l.ordinalWords }))
	abbreviations      = wordSet(allWords(func(l language) []string { return l.abbreviations }))

	leadInSet    = newPhraseSet(leadInPhrases)
	footerSet    = newPhraseSet(footerWords)
	sponsorSet   = newPhraseSet(sponsorIntros)
	promoOnlySet = newPhraseSet(promoOnly)
	promoAllSet  = newPhraseSet(promoPhrases)
)

// allWords gathers one list from every language, longest phrase first (so that
// the longest match wins), without duplicates; the languages are read in a fixed
// order so the result does not depend on map order.
func allWords(pick func(language) []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, code := range []string{"fr", "en", "es", "de", "it", "pt"} {
		for _, w := range pick(languages[code]) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	for code, l := range languages { // languages added without updating the order above
		switch code {
		case "fr", "en", "es", "de", "it", "pt":
			continue
		}
		for _, w := range pick(l) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

func wordSet(ws []string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// containsPhrase reports whether folded text holds one of phrases on word
// boundaries: "temas" is found in "los temas:", not in "sistemas".
func containsPhrase(folded string, phrases []string) bool {
	return findPhrase(folded, phrases) >= 0
}

// phraseSet is a list of (folded) phrases indexed by their first word, so that
// finding one in a text costs one pass over the text's words rather than one
// search per phrase.
type phraseSet struct {
	list  []string
	first map[string][]string // first word -> phrases, longest first
	other []string            // phrases that do not start with a word
	// pairs has a bit set for the first two bytes of every first word: most
	// words of a text start no phrase, and this tells without a map lookup.
	pairs [1 << 10]uint64
}

// pairKey is the key of a word's first two bytes in phraseSet.pairs.
func pairKey(w string) uint16 {
	k := uint16(w[0]) << 8
	if len(w) > 1 {
		if c := w[1]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			k |= uint16(c)
		}
	}
	return k
}

func newPhraseSet(list []string) *phraseSet {
	s := &phraseSet{list: list, first: map[string][]string{}}
	for _, p := range list {
		w := leadingWord(p)
		if w == "" {
			s.other = append(s.other, p)
			continue
		}
		s.first[w] = append(s.first[w], p)
		k := pairKey(w)
		s.pairs[k>>6] |= 1 << (k & 63)
	}
	for w, ps := range s.first {
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i]) > len(ps[j]) })
		s.first[w] = ps
	}
	return s
}

// leadingWord is the run of letters and digits at the start of s.
func leadingWord(s string) string {
	for i, r := range s {
		if !isWordRune(r) {
			return s[:i]
		}
	}
	return s
}

// find returns the byte offset of the first phrase of the set found in folded
// text on word boundaries, or -1.
func (s *phraseSet) find(folded string) int {
	best := -1
	if len(s.other) > 0 {
		best = findPhrase(folded, s.other)
	}
	inWord := false
	for i, r := range folded {
		if best >= 0 && i >= best {
			break
		}
		w := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') || r >= utf8.RuneSelf && isWordRune(r)
		if w && !inWord {
			if k := pairKey(folded[i:]); s.pairs[k>>6]&(1<<(k&63)) == 0 {
				inWord = true
				continue
			}
			if ps, ok := s.first[leadingWord(folded[i:])]; ok {
				for _, p := range ps {
					if strings.HasPrefix(folded[i:], p) && wordBoundaryAfter(folded, i+len(p), p) {
						return i
					}
				}
			}
		}
		inWord = w
	}
	return best
}

// in reports whether folded text holds a phrase of the set.
func (s *phraseSet) in(folded string) bool { return s.find(folded) >= 0 }

// findPhrase returns the byte offset in folded text of the first phrase found
// on word boundaries, or -1.
func findPhrase(folded string, phrases []string) int {
	best := -1
	for _, p := range phrases {
		from := 0
		for from < len(folded) {
			k := strings.Index(folded[from:], p)
			if k < 0 {
				break
			}
			k += from
			if wordBoundaryBefore(folded, k) && wordBoundaryAfter(folded, k+len(p), p) {
				if best < 0 || k < best {
					best = k
				}
				break
			}
			from = k + 1
		}
	}
	return best
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func wordBoundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !isWordRune(r)
}

// wordBoundaryAfter: a phrase ending in a letter must not go on into a word; a
// phrase ending in a space or punctuation ("more ", "issu d") is a prefix.
func wordBoundaryAfter(s string, i int, p string) bool {
	last, _ := utf8.DecodeLastRuneInString(p)
	if !isWordRune(last) || i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(r)
}
