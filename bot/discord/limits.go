package discord

// Discord's message limits (docs/platform-contract.md B5). A message past any
// of them is refused whole (HTTP 400, code 50035), and a refused announcement
// is a lost one: the renderer keeps every payload within them, whatever a feed
// or a user wrote. Lengths are in UTF-16 code units (chattext.Width), never fewer
// than the characters Discord counts, measured after escaping.
const (
	MaxContent          = 2000 // content of a message
	MaxEmbeds           = 10   // embeds of a message
	MaxEmbedTitle       = 256  // an embed's title
	MaxEmbedDescription = 4096 // an embed's description
	MaxEmbedFields      = 25   // fields of an embed
	MaxFieldName        = 256  // a field's name
	MaxFieldValue       = 1024 // a field's value
	MaxFooterText       = 2048 // an embed's footer text
	MaxAuthorName       = 256  // an embed's author name
	MaxEmbedTotal       = 6000 // title, description, field names and values, footer and author of all embeds
	MaxEmbedURL         = 2048 // an embed's url
	MaxActionRows       = 5    // action rows of a message
	MaxRowButtons       = 5    // buttons of an action row
	MaxButtonLabel      = 80   // a button's label
	MaxButtonURL        = 512  // a link button's url
	MaxCustomID         = 100  // a button's custom_id (at least 1)
)

// What we allow ourselves, below Discord's limits, so that a message is never
// at the edge of one.
const (
	// EmbedBudget is the most characters we write across a message's embeds:
	// room under MaxEmbedTotal for what Discord may count that we do not.
	EmbedBudget = 5800
	// ContentBudget is the most characters of content we write: a line or two,
	// the embeds carry the rest.
	ContentBudget = 1000
	// MaxButtons is the most buttons in a message: every row full.
	MaxButtons = MaxActionRows * MaxRowButtons
)

// Caps on one piece of content, so that a huge title or note cannot take the
// room of the rest.
const (
	maxSummary = 1500 // an episode summary, a reply's paragraph
	maxBullet  = 300  // one item of a list (a takeaway, a chapter, a link label)
	maxSnippet = 300  // a search snippet
	maxItems   = 20   // items of a list (takeaways, links, bullets)
	maxFields  = 10   // fields of a reply
)
