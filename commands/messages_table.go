package commands

// A message of the catalogue: its key (the English format), and its English and
// French forms, which take the same arguments in the same order.
type msg struct{ key, en, fr string }

// A message whose words follow a count: arg is the count's position (1-based), and
// each language gives its "one" and "other" forms (French "one" is 0 and 1).
type pluralMsg struct {
	key    string
	arg    int
	en, fr [2]string
}

// messageTable is every user-visible string. French uses « » around quoted input
// where English uses Go quoting (%q), which also shows stray spaces.
var messageTable = []msg{
	// Router and help.
	{"unknown command %q; did you mean `%s`? Try `%s help`.", "unknown command %q; did you mean `%s`? Try `%s help`.", "commande inconnue « %s » ; vouliez-vous dire `%s` ? Essayez `%s help`."},
	{"unknown command %q. Try `%s help`.", "unknown command %q. Try `%s help`.", "commande inconnue « %s ». Essayez `%s help`."},
	{"no command %q. Try `%s help`.", "no command %q. Try `%s help`.", "pas de commande « %s ». Essayez `%s help`."},
	{"that command is too long (%d bytes; the limit is %d)", "that command is too long (%d bytes; the limit is %d)", "cette commande est trop longue (%d octets ; la limite est %d)"},
	{"Something went wrong on our side; the bot's admin can find the details in its log.", "Something went wrong on our side; the bot's admin can find the details in its log.", "Quelque chose s'est mal passé de notre côté ; l'admin du bot en trouvera le détail dans son journal."},
	{"`%s` is not available here: this bot was set up without it", "`%s` is not available here: this bot was set up without it", "`%s` n'est pas disponible ici : ce bot a été installé sans"},
	{"Commands", "Commands", "Commandes"},
	{"Usage: %s", "Usage: %s", "Utilisation : %s"},
	{"Also: %s", "Also: %s", "Aussi : %s"},
	{"Example: %s", "Example: %s", "Exemple : %s"},

	// The command table: usage and descriptions.
	{"search <words>", "search <words>", "search <mots>"},
	{"Find episodes by title, notes, takeaways and links.", "Find episodes by title, notes, takeaways and links.", "Trouver des épisodes par leur titre, leurs notes, points clés et liens."},
	{"latest [n]", "latest [n]", "latest [n]"},
	{"Show the newest episode, or the n newest.", "Show the newest episode, or the n newest.", "Afficher le dernier épisode, ou les n derniers."},
	{"episode <n|latest|words>", "episode <n|latest|words>", "episode <n|latest|mots>"},
	{"Show one episode: summary, takeaways, links.", "Show one episode: summary, takeaways, links.", "Afficher un épisode : résumé, points clés, liens."},
	{"takeaways <n|latest>", "takeaways <n|latest>", "takeaways <n|latest>"},
	{"The key takeaways of an episode.", "The key takeaways of an episode.", "Les points clés d'un épisode."},
	{"chapters <n>", "chapters <n>", "chapters <n>"},
	{"The chapters of an episode, with their times.", "The chapters of an episode, with their times.", "Les chapitres d'un épisode, avec leur minutage."},
	{"links <n>", "links <n>", "links <n>"},
	{"The links of an episode's notes, by section.", "The links of an episode's notes, by section.", "Les liens des notes d'un épisode, par section."},
	{"random", "random", "random"},
	{"A random episode from the back catalogue.", "A random episode from the back catalogue.", "Un épisode du catalogue, au hasard."},
	{"digest", "digest", "digest"},
	{"Preview this channel's weekly digest.", "Preview this channel's weekly digest.", "Aperçu du récapitulatif hebdomadaire de ce canal."},
	{"subscribe [topics…]", "subscribe [topics…]", "subscribe [sujets…]"},
	{"Announce new episodes in this channel, optionally only those about some topics (channel managers).", "Announce new episodes in this channel, optionally only those about some topics (channel managers).", "Annoncer les nouveaux épisodes dans ce canal, éventuellement seulement ceux de certains sujets (gestionnaires du canal)."},
	{"unsubscribe", "unsubscribe", "unsubscribe"},
	{"Stop announcing episodes in this channel (channel managers).", "Stop announcing episodes in this channel (channel managers).", "Ne plus annoncer d'épisodes dans ce canal (gestionnaires du canal)."},
	{"subscriptions", "subscriptions", "subscriptions"},
	{"What this channel follows: topics, language, digest.", "What this channel follows: topics, language, digest.", "Ce que suit ce canal : sujets, langue, récapitulatif."},
	{"status", "status", "status"},
	{"The bot's health: feeds, deliveries, version.", "The bot's health: feeds, deliveries, version.", "L'état du bot : flux, envois, version."},
	{"help [command]", "help [command]", "help [commande]"},
	{"List the commands, or explain one.", "List the commands, or explain one.", "Lister les commandes, ou en expliquer une."},

	// Episodes.
	{"what should I look for? Give some words, like `search bgp`; for the newest episodes, try `latest`", "what should I look for? Give some words, like `search bgp`; for the newest episodes, try `latest`", "que faut-il chercher ? Donnez des mots, comme `search bgp` ; pour les derniers épisodes, essayez `latest`"},
	{"that search is too long (%d characters; the limit is %d)", "that search is too long (%d characters; the limit is %d)", "cette recherche est trop longue (%d caractères ; la limite est %d)"},
	{"no episode matches %q", "no episode matches %q", "aucun épisode ne correspond à « %s »"},
	{"Results for %q", "Results for %q", "Résultats pour « %s »"},
	{"`latest` takes one number, like `latest 3`", "`latest` takes one number, like `latest 3`", "`latest` prend un seul nombre, comme `latest 3`"},
	{"`latest` takes a number of episodes, like `latest 3`; %q is not one", "`latest` takes a number of episodes, like `latest 3`; %q is not one", "`latest` prend un nombre d'épisodes, comme `latest 3` ; « %s » n'en est pas un"},
	{"no episodes yet: the feed has not been read, or is empty", "no episodes yet: the feed has not been read, or is empty", "pas encore d'épisode : le flux n'a pas été lu, ou il est vide"},
	{"no episodes yet", "no episodes yet", "pas encore d'épisode"},
	{"Latest episode", "Latest episode", "Dernier épisode"},
	{"Latest %d episodes", "Latest %d episodes", "Les %d derniers épisodes"},
	{"Damaged episodes", "Damaged episodes", "Épisodes endommagés"},
	{"%d left out of every answer; the bot's log names them", "%d left out of every answer; the bot's log names them", "%d écartés de toutes les réponses ; le journal du bot les nomme"},
	{"that took too long; try again in a moment", "that took too long; try again in a moment", "cela a pris trop de temps ; réessayez dans un instant"},
	{"Paused", "Paused", "En pause"},
	{"The podcast's links", "The podcast's links", "Liens du podcast"},
	{"this button does not do anything any more", "this button does not do anything any more", "ce bouton ne fait plus rien"},
	{"%s channel %s: %s; subscribe the channel again to resume", "%s channel %s: %s; subscribe the channel again to resume", "%s, salon %s : %s ; réabonnez le salon pour reprendre"},
	{"Words to look for, in French or English.", "Words to look for, in French or English.", "Les mots à chercher, en français ou en anglais."},
	{"How many of the newest episodes.", "How many of the newest episodes.", "Combien des derniers épisodes."},
	{"A number, latest, or words of its title.", "A number, latest, or words of its title.", "Un numéro, latest, ou des mots de son titre."},
	{"Only episodes about these topics (words).", "Only episodes about these topics (words).", "Seulement les épisodes sur ces sujets (mots)."},
	{"The command to explain.", "The command to explain.", "La commande à expliquer."},
	{"Episodes of the podcast: search, takeaways, chapters, links.", "Episodes of the podcast: search, takeaways, chapters, links.", "Les épisodes du podcast : recherche, points clés, chapitres, liens."},
	{"Announce the podcast in this channel, or stop (channel managers).", "Announce the podcast in this channel, or stop (channel managers).", "Annoncer le podcast dans ce salon, ou arrêter (gestion du salon)."},
	{"At most %d episodes are shown.", "At most %d episodes are shown.", "%d épisodes au plus sont affichés."},
	{"give one episode number; %q names several", "give one episode number; %q names several", "donnez un seul numéro d'épisode ; « %s » en désigne plusieurs"},
	{"the feed is still being read for the first time; ask again in a few seconds", "the feed is still being read for the first time; ask again in a few seconds", "le flux est en cours de première lecture ; redemandez dans quelques secondes"},
	{"Key takeaways: %s", "Key takeaways: %s", "Points clés : %s"},
	{"This episode's show notes have no takeaways.", "This episode's show notes have no takeaways.", "Les notes de cet épisode n'ont pas de points clés."},
	{"The notes have no takeaways section; here is their summary.", "The notes have no takeaways section; here is their summary.", "Les notes n'ont pas de section « points clés » ; voici leur résumé."},
	{"Chapters: %s", "Chapters: %s", "Chapitres : %s"},
	{"This episode's show notes list no chapters.", "This episode's show notes list no chapters.", "Les notes de cet épisode ne donnent pas de chapitres."},
	{"Links: %s", "Links: %s", "Liens : %s"},
	{"This episode's show notes have no links.", "This episode's show notes have no links.", "Les notes de cet épisode n'ont pas de liens."},
	{"`random` takes no arguments; to find an episode, try `search %s`", "`random` takes no arguments; to find an episode, try `search %s`", "`random` ne prend pas d'argument ; pour trouver un épisode, essayez `search %s`"},
	{"A random episode", "A random episode", "Un épisode au hasard"},
	{"which episode? Give a number, `latest`, or words of its title", "which episode? Give a number, `latest`, or words of its title", "quel épisode ? Donnez un numéro, `latest`, ou des mots de son titre"},
	{"no episode %s; the latest is %d", "no episode %s; the latest is %d", "pas d'épisode %s ; le dernier est le %d"},
	{"no episode %s", "no episode %s", "pas d'épisode %s"},

	// Errors other packages return as UserErrors (bot/catalog.go, bot/digest.go,
	// cmd/pmbot): the catalogue translates them too.
	{"the feed %q has not been read yet; try again in a minute", "the feed %q has not been read yet; try again in a minute", "le flux « %s » n'a pas encore été lu ; réessayez dans une minute"},
	{"no episodes yet: the feed could not be read (%s); next try at %s UTC", "no episodes yet: the feed could not be read (%s); next try at %s UTC", "pas encore d'épisode : le flux n'a pas pu être lu (%s) ; prochain essai à %s UTC"},
	{"no episodes yet: the feed has not been read; try again in a minute", "no episodes yet: the feed has not been read; try again in a minute", "pas encore d'épisode : le flux n'a pas encore été lu ; réessayez dans une minute"},
	{"this channel follows no podcast: subscribe first", "this channel follows no podcast: subscribe first", "ce canal ne suit aucun podcast : abonnez-le d'abord"},
	{"no episodes to put in a digest", "no episodes to put in a digest", "aucun épisode à mettre dans un récapitulatif"},
	{"no episodes: the feed lists none", "no episodes: the feed lists none", "aucun épisode : le flux n'en liste aucun"},

	// Subscriptions.
	{"you need permission to manage this channel to change its subscriptions", "you need permission to manage this channel to change its subscriptions", "il faut avoir le droit de gérer ce canal pour changer ses abonnements"},
	{"the topic %q is too long (%d characters; the limit is %d)", "the topic %q is too long (%d characters; the limit is %d)", "le sujet « %s » est trop long (%d caractères ; la limite est %d)"},
	{"the topic %q has no letters or digits", "the topic %q has no letters or digits", "le sujet « %s » n'a ni lettre ni chiffre"},
	{"too many topics (%d; the limit is %d)", "too many topics (%d; the limit is %d)", "trop de sujets (%d ; la limite est %d)"},
	{"Subscribed", "Subscribed", "Abonnement créé"},
	{"Subscription updated", "Subscription updated", "Abonnement modifié"},
	{"New episodes of %s about %s will be announced here; others will not.", "New episodes of %s about %s will be announced here; others will not.", "Les nouveaux épisodes de %s sur %s seront annoncés ici ; les autres non."},
	{"Every new episode of %s will be announced here.", "Every new episode of %s will be announced here.", "Chaque nouvel épisode de %s sera annoncé ici."},
	{"`unsubscribe` takes no arguments; to follow fewer topics, run `subscribe` with the ones to keep", "`unsubscribe` takes no arguments; to follow fewer topics, run `subscribe` with the ones to keep", "`unsubscribe` ne prend pas d'argument ; pour suivre moins de sujets, lancez `subscribe` avec ceux à garder"},
	{"This channel had no subscription; nothing changed.", "This channel had no subscription; nothing changed.", "Ce canal n'avait pas d'abonnement ; rien n'a changé."},
	{"Unsubscribed", "Unsubscribed", "Désabonné"},
	{"New episodes will no longer be announced here.", "New episodes will no longer be announced here.", "Les nouveaux épisodes ne seront plus annoncés ici."},
	{"Subscriptions of this channel", "Subscriptions of this channel", "Abonnements de ce canal"},
	{"This channel follows no podcast; someone who manages it can run `subscribe`.", "This channel follows no podcast; someone who manages it can run `subscribe`.", "Ce canal ne suit aucun podcast ; une personne qui le gère peut lancer `subscribe`."},
	{"This channel follows %s.", "This channel follows %s.", "Ce canal suit %s."},
	{"Podcast", "Podcast", "Podcast"},
	{"Topics", "Topics", "Sujets"},
	{"all episodes", "all episodes", "tous les épisodes"},
	{"Language", "Language", "Langue"},
	{"English", "English", "anglais"},
	{"French", "French", "français"},
	{"default", "default", "par défaut"},
	{"Weekly digest", "Weekly digest", "Récapitulatif hebdomadaire"},
	{"off", "off", "désactivé"},
	{"%s at %s (%s)", "%s at %s (%s)", "%s à %s (%s)"},
	{"cron “%s” (%s)", "cron “%s” (%s)", "cron « %s » (%s)"},
	{"every day", "every day", "tous les jours"},
	{"weekdays", "weekdays", "du lundi au vendredi"},
	{" and ", " and ", " et "},

	// Digest.
	{"Digest preview", "Digest preview", "Aperçu du récapitulatif"},
	{"From the archive", "From the archive", "Tiré des archives"},
	{"No new episode since %s: the digest will bring back this one.", "No new episode since %s: the digest will bring back this one.", "Pas de nouvel épisode depuis le %s : le récapitulatif ressortira celui-ci."},
	{"No new episode since %s.", "No new episode since %s.", "Pas de nouvel épisode depuis le %s."},
	{"Next digest", "Next digest", "Prochain récapitulatif"},
	{"none scheduled for this channel", "none scheduled for this channel", "aucun n'est prévu pour ce canal"},

	// Status.
	{"Status", "Status", "État"},
	{"Version", "Version", "Version"},
	{"unknown", "unknown", "inconnue"},
	{"never", "never", "jamais"},
	{"next poll: %s", "next poll: %s", "prochaine lecture : %s"},
	{"last error: %s", "last error: %s", "dernière erreur : %s"},
	{"Deliveries", "Deliveries", "Envois"},
	{"%d waiting, %d given up", "%d waiting, %d given up", "%d en attente, %d abandonnés"},
	{"Last given up", "Last given up", "Dernier abandon"},
	{"%s, %s", "%s, %s", "%s à %s"},

	// Adapters' own errors.
	{"that line is too long; the limit is %d bytes", "that line is too long; the limit is %d bytes", "cette ligne est trop longue ; la limite est de %d octets"},

	// Words adapters add around announcements and replies.
	{MsgNewEpisode, MsgNewEpisode, "Nouvel épisode de %s"},
	{MsgWeeklyDigest, MsgWeeklyDigest, "Récapitulatif de la semaine — %s"},
	{MsgFromTheArchive, MsgFromTheArchive, "Tiré des archives — %s"},
	{MsgArchiveIntro, MsgArchiveIntro, "Pas de nouvel épisode cette semaine ; en voici un du catalogue."},
	{MsgNoDigestNews, MsgNoDigestNews, "Pas de nouvel épisode cette semaine."},
	{MsgKeyTakeaways, MsgKeyTakeaways, "Points clés"},
	{MsgListen, MsgListen, "Écouter"},
	{MsgMore, MsgMore, "En savoir plus"},
	{MsgLinks, MsgLinks, "Liens"},
	{MsgShare, MsgShare, "Partager dans le canal"},
	{MsgUndated, MsgUndated, "sans date"},
	{MsgUntitled, MsgUntitled, "(sans titre)"},
	{MsgThePodcast, MsgThePodcast, "le podcast"},
	{MsgAndMore, MsgAndMore, "… et %d de plus"},
	{MsgLabelValue, MsgLabelValue, "%s : %s"},
	{MsgHeading, MsgHeading, "%s :"},
}

// pluralTable is the messages whose words follow a count.
var pluralTable = []pluralMsg{
	{key: MsgNewEpisodes, arg: 1,
		en: [2]string{"%d new episode of %s", "%d new episodes of %s"},
		fr: [2]string{"%d nouvel épisode de %s", "%d nouveaux épisodes de %s"}},
	{key: "Since %s: %d new episodes", arg: 2,
		en: [2]string{"Since %s: %d new episode", "Since %s: %d new episodes"},
		fr: [2]string{"Depuis le %s : %d nouvel épisode", "Depuis le %s : %d nouveaux épisodes"}},
	{key: "%d episodes · last poll: %s", arg: 1,
		en: [2]string{"%d episode · last poll: %s", "%d episodes · last poll: %s"},
		fr: [2]string{"%d épisode · dernière lecture : %s", "%d épisodes · dernière lecture : %s"}},
	{key: "%d failed polls in a row", arg: 1,
		en: [2]string{"%d failed poll", "%d failed polls in a row"},
		fr: [2]string{"%d lecture en échec", "%d lectures en échec d'affilée"}},
	{key: "%d dropped as too old", arg: 1,
		en: [2]string{"%d dropped as too old", "%d dropped as too old"},
		fr: [2]string{"%d écarté car trop ancien", "%d écartés car trop anciens"}},
}
