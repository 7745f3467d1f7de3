package slack

// Slack's Block Kit limits (docs/platform-contract.md A5, A6). A payload past any
// of them is rejected whole (invalid_blocks, msg_blocks_too_long), and a rejected
// announcement is a lost one: the renderer keeps every payload within them,
// whatever a feed or a user wrote. Lengths are in UTF-16 units (chattext.Width),
// measured after escaping.
const (
	MaxBlocks         = 50   // blocks in one message
	MaxHeaderText     = 150  // plain_text of a header block
	MaxSectionText    = 3000 // text of a section (and of any text object)
	MaxFields         = 10   // fields of one section
	MaxFieldText      = 2000 // text of one field
	MaxContextItems   = 10   // elements of a context block
	MaxActionElements = 25   // elements of an actions block
	MaxButtonText     = 75   // plain_text of a button
	MaxButtonValue    = 2000 // value of a button
	MaxURL            = 3000 // url of a button or of a link
	MaxID             = 255  // action_id, block_id
)

// What we allow ourselves, below Slack's limits, so that a message is never at
// the edge of one.
const (
	// BlockBudget is the most blocks we write: room under MaxBlocks for a poster
	// that adds one (a thread note, a "shared by" line).
	BlockBudget = 45
	// TextBudget is the most characters of text, URLs and button values in all
	// the blocks of a message together. Slack documents no number, but rejected
	// blocks of about 13,200 characters in all with msg_blocks_too_long (contract
	// A5, observed); 11,000 leaves a margin for what it may count that we do not.
	TextBudget = 11000
	// ButtonsPerAction is the most buttons in one actions block: Slack allows 25,
	// but more than five wrap into a wall of buttons.
	ButtonsPerAction = 5
	// MaxFallback caps the top-level text, which notifications and clients
	// without Block Kit show: a line, not the message again.
	MaxFallback = 300
)

// Caps on one piece of content, so that a huge title or note cannot take the
// room of the rest. They follow the console adapter's, in the same units.
const (
	maxTitle   = 300  // an episode title, a field name, a link label
	maxSummary = 2000 // an episode summary, a reply's paragraph
	maxBullet  = 500  // one item of a list (a takeaway, a chapter)
	maxSnippet = 300  // a search snippet: a glimpse, not the notes
	maxValue   = 1500 // a field's value
	maxItems   = 20   // items of a list (takeaways, links, fields, bullets)
	maxButtons = 10   // buttons of an item or of a reply (two actions blocks)
	// maxLinkURL is the longest URL we link or put on a button: a longer one is
	// no address a person follows, and would eat the room of a whole list.
	maxLinkURL = 1000
	// maxListTakeaways and maxListLinks cap the room a card gives its lists.
	maxListTakeaways = MaxSectionText
	maxListLinks     = 4500
)
