package dispatch

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CommandKind is what a text asks for.
type CommandKind string

// Command kinds. Digits work for the first six on any keyboard: 1 accept,
// 2 decline, 3 done, 4 on my way, 5 pause, 6 resume.
const (
	CmdAccept  CommandKind = "accept"
	CmdDecline CommandKind = "decline"
	CmdDone    CommandKind = "done"
	CmdOnMyWay CommandKind = "onmyway"
	CmdPause   CommandKind = "pause"
	CmdResume  CommandKind = "resume"
	CmdStop    CommandKind = "stop"
	CmdStart   CommandKind = "start"
	CmdHelp    CommandKind = "help"
	CmdRating  CommandKind = "rating"
	CmdUnknown CommandKind = "unknown"
)

// Command is a text as the conversation understands it.
type Command struct {
	Kind CommandKind
	// Code is a ticket code quoted in the text, normalised ("AKM-1234"),
	// or "".
	Code string
	// Note is the free text after the command ("in 20 minutes"), for the
	// ticket's timeline; for an unknown command, the whole text.
	Note string
	// Rating is 1–5 when the text is a rating, or a lone digit 1–5 (which
	// a client sends to rate, a volunteer to give a command).
	Rating int
}

// byDigit are the keypad commands.
var byDigit = map[string]CommandKind{"1": CmdAccept, "2": CmdDecline, "3": CmdDone, "4": CmdOnMyWay, "5": CmdPause, "6": CmdResume}

// keywords map folded words (lower case, Kazakh letters folded to their
// Russian or ASCII look-alikes, see fold) to commands. Generic agreement
// ("ok", "да") is in acks: a more specific word later in the text wins.
var keywords = map[string]CommandKind{
	// English
	"accept": CmdAccept, "accepted": CmdAccept, "take": CmdAccept, "mine": CmdAccept,
	"no": CmdDecline, "nope": CmdDecline, "nah": CmdDecline, "decline": CmdDecline, "declined": CmdDecline,
	"cant": CmdDecline, "cannot": CmdDecline, "reject": CmdDecline, "pass": CmdDecline,
	"done": CmdDone, "finished": CmdDone, "finish": CmdDone, "complete": CmdDone, "completed": CmdDone, "delivered": CmdDone,
	"omw": CmdOnMyWay, "onway": CmdOnMyWay, "coming": CmdOnMyWay, "leaving": CmdOnMyWay, "going": CmdOnMyWay,
	"pause": CmdPause, "busy": CmdPause, "break": CmdPause, "away": CmdPause,
	"resume": CmdResume, "unpause": CmdResume, "continue": CmdResume, "available": CmdResume, "back": CmdResume,
	// Russian
	"беру": CmdAccept, "возьму": CmdAccept, "принимаю": CmdAccept, "принять": CmdAccept, "согласен": CmdAccept, "согласна": CmdAccept,
	"нет": CmdDecline, "не": CmdDecline, "неа": CmdDecline, "отказ": CmdDecline, "отказываюсь": CmdDecline, "откажусь": CmdDecline,
	"готово": CmdDone, "готов": CmdDone, "готова": CmdDone, "сделано": CmdDone, "сделал": CmdDone, "сделала": CmdDone,
	"выполнено": CmdDone, "выполнил": CmdDone, "выполнила": CmdDone, "закончил": CmdDone, "закончила": CmdDone, "помог": CmdDone, "помогла": CmdDone,
	"еду": CmdOnMyWay, "иду": CmdOnMyWay, "выехал": CmdOnMyWay, "выехала": CmdOnMyWay, "выезжаю": CmdOnMyWay, "вышел": CmdOnMyWay, "вышла": CmdOnMyWay,
	"пауза": CmdPause, "перерыв": CmdPause, "занят": CmdPause, "занята": CmdPause,
	"продолжить": CmdResume, "продолжаю": CmdResume, "возобновить": CmdResume, "свободен": CmdResume, "свободна": CmdResume,
	// Kazakh, Cyrillic and Latin (folded)
	"келисемин": CmdAccept, "кабылдаимын": CmdAccept, "кабыл": CmdAccept, "аламын": CmdAccept, "kelisemin": CmdAccept, "qabyl": CmdAccept, "kabyl": CmdAccept, "alamyn": CmdAccept,
	"жок": CmdDecline, "joq": CmdDecline, "zhoq": CmdDecline, "jok": CmdDecline, "zhok": CmdDecline, "almaimyn": CmdDecline, "алмаимын": CmdDecline,
	"даиын": CmdDone, "битти": CmdDone, "орындалды": CmdDone, "болды": CmdDone,
	"daiyn": CmdDone, "dayin": CmdDone, "daiin": CmdDone, "dajyn": CmdDone, "dayyn": CmdDone, "bitti": CmdDone, "orindaldy": CmdDone, "oryndaldy": CmdDone, "boldy": CmdDone,
	"жолдамын": CmdOnMyWay, "жолда": CmdOnMyWay, "шыктым": CmdOnMyWay,
	"joldamyn": CmdOnMyWay, "zholdamyn": CmdOnMyWay, "jolda": CmdOnMyWay, "zholda": CmdOnMyWay, "shyqtym": CmdOnMyWay,
	"узилис": CmdPause, "токта": CmdPause, "uzilis": CmdPause, "toqta": CmdPause, "tokta": CmdPause,
	"жалгастыру": CmdResume, "жалгастыр": CmdResume, "jalgastyru": CmdResume, "zhalgastyru": CmdResume, "jalgastyr": CmdResume,
}

// acks are generic agreement: accept, unless a more specific command follows.
var acks = map[string]bool{"yes": true, "y": true, "yep": true, "yeah": true, "yup": true, "ya": true, "yse": true, "yess": true,
	"ok": true, "okay": true, "okey": true, "k": true, "sure": true,
	"да": true, "ага": true, "угу": true, "ок": true, "окей": true, "хорошо": true, "конечно": true, "da": true, "dа": true,
	"иа": true, "ия": true, "ие": true, "иэ": true, "ia": true, "iа": true, "iya": true, "ija": true, "ie": true, "iyа": true,
	"жараиды": true, "jaraidy": true, "zharaidy": true, "jaraydy": true}

// phrases are commands of several words, matched before single words.
var phrases = []struct {
	words []string
	kind  CommandKind
}{
	{[]string{"on", "my", "way"}, CmdOnMyWay}, {[]string{"on", "the", "way"}, CmdOnMyWay}, {[]string{"on", "way"}, CmdOnMyWay},
	{[]string{"в", "пути"}, CmdOnMyWay}, {[]string{"келе", "жатырмын"}, CmdOnMyWay}, {[]string{"kele", "jatyrmyn"}, CmdOnMyWay},
	{[]string{"бас", "тартамын"}, CmdDecline}, {[]string{"бас", "тарту"}, CmdDecline}, {[]string{"bas", "tartamyn"}, CmdDecline},
	{[]string{"no", "problem"}, CmdAccept}, {[]string{"нет", "проблем"}, CmdAccept},
	{[]string{"im", "in"}, CmdAccept},
}

// alone are commands that count only as the whole text, as carriers treat
// them: "stop by the pharmacy" relayed to a client is not an opt-out.
var alone = map[string]CommandKind{
	"stop": CmdStop, "stopall": CmdStop, "unsubscribe": CmdStop, "cancel": CmdStop, "end": CmdStop, "quit": CmdStop,
	"optout": CmdStop, "revoke": CmdStop, "стоп": CmdStop, "отписаться": CmdStop, "отписка": CmdStop, "токтату": CmdStop,
	"start": CmdStart, "unstop": CmdStart, "старт": CmdStart, "бастау": CmdStart, "подписаться": CmdStart,
	"help": CmdHelp, "info": CmdHelp, "commands": CmdHelp, "помощь": CmdHelp, "справка": CmdHelp, "команды": CmdHelp,
	"комек": CmdHelp, "komek": CmdHelp, "аныктама": CmdHelp, "?": CmdHelp,
}

// ratingWords mark a text as a rating when a digit 1–5 comes with them.
var ratingWords = map[string]bool{"rate": true, "rating": true, "stars": true, "star": true, "score": true,
	"оценка": true, "оцениваю": true, "оценку": true, "звезд": true, "звезды": true, "балл": true, "баллов": true,
	"бага": true, "багасы": true, "багалаимын": true, "baga": true, "bagasy": true, "upai": true, "упаи": true}

// fuzzy are the words a typo of which still counts (one letter wrong,
// missing, extra or swapped); short words are left out, since "none" is
// one letter from "done" and "doing" from "going".
var fuzzy = func() []string {
	var out []string
	for w := range keywords {
		if utf8.RuneCountInString(w) >= 6 {
			out = append(out, w)
		}
	}
	return out
}()

// scanWords is how far into a text a command is looked for: "I am on my
// way" and "ну да, беру" work; a command buried in a sentence does not.
const scanWords = 4

type token struct {
	word       string // folded
	start, end int    // byte offsets in the text
}

// ParseCommand reads a volunteer's or client's text: a digit, a word or
// phrase in Kazakh (Cyrillic or Latin), Russian or English, tolerant of
// case, punctuation, words around it and common typos; with a ticket code
// anywhere in it, and a note after it.
func ParseCommand(text string) Command {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	code, cs, ce := findCode(text)
	rest := text
	if code != "" {
		rest = text[:cs] + strings.Repeat(" ", ce-cs) + text[ce:]
	}
	toks := tokenize(rest)
	cmd := Command{Kind: CmdUnknown, Code: code}
	note := func(end int) string { return cleanNote(rest[end:]) }
	if len(toks) == 0 {
		if strings.Trim(rest, " ?!.") == "" && strings.Contains(rest, "?") {
			cmd.Kind = CmdHelp
		}
		return cmd
	}
	if len(toks) == 1 && code == "" {
		if k, ok := alone[toks[0].word]; ok {
			cmd.Kind = k
			return cmd
		}
	}
	if k, ok := byDigit[toks[0].word]; ok {
		cmd.Kind = k
		if d := toks[0].word[0] - '0'; d >= 1 && d <= 5 {
			cmd.Rating = int(d)
		}
		cmd.Note = note(toks[0].end)
		return cmd
	}
	if r, end := findRating(toks); r > 0 {
		cmd.Kind, cmd.Rating, cmd.Note = CmdRating, r, note(end)
		return cmd
	}
	found, end := CmdUnknown, 0
	for i := 0; i < len(toks) && i < scanWords; i++ {
		k, e, generic := match(toks, i)
		if k == CmdUnknown {
			continue
		}
		if found == CmdUnknown {
			found, end = k, e
			if !generic {
				break
			}
			continue
		}
		// An ack was found first: a specific command after it wins.
		if !generic && k != CmdAccept {
			found, end = k, e
		}
		break
	}
	if found == CmdUnknown {
		cmd.Note = cleanNote(text)
		return cmd
	}
	cmd.Kind, cmd.Note = found, note(end)
	return cmd
}

// match looks for a command starting at toks[i]; generic reports an ack.
func match(toks []token, i int) (k CommandKind, end int, generic bool) {
	for _, p := range phrases {
		if i+len(p.words) > len(toks) {
			continue
		}
		ok := true
		for j, w := range p.words {
			if toks[i+j].word != w {
				ok = false
				break
			}
		}
		if ok {
			return p.kind, toks[i+len(p.words)-1].end, false
		}
	}
	w := toks[i].word
	if k, ok := keywords[w]; ok {
		return k, toks[i].end, false
	}
	if acks[w] {
		return CmdAccept, toks[i].end, true
	}
	if utf8.RuneCountInString(w) >= 5 {
		for _, f := range fuzzy {
			if nearlyEqual(w, f) {
				return keywords[f], toks[i].end, false
			}
		}
	}
	return CmdUnknown, 0, false
}

func findRating(toks []token) (rating, end int) {
	word, digit := false, 0
	for i := 0; i < len(toks) && i < scanWords; i++ {
		w := toks[i].word
		if ratingWords[w] {
			word = true
			end = max(end, toks[i].end)
		} else if len(w) == 1 && w[0] >= '1' && w[0] <= '5' && digit == 0 {
			digit = int(w[0] - '0')
			end = max(end, toks[i].end)
		}
	}
	if word && digit > 0 {
		return digit, end
	}
	return 0, 0
}

// findCode finds a ticket code (three code letters, Latin or Cyrillic, and
// four digits, maybe with a space or dash between) standing as a word.
func findCode(text string) (code string, start, end int) {
	rs := []rune(text)
	offs := make([]int, len(rs)+1)
	o := 0
	for i, r := range rs {
		offs[i] = o
		o += utf8.RuneLen(r)
	}
	offs[len(rs)] = o
	isLetter := func(r rune) bool {
		if cyrillicLookAlikes[r] != 0 {
			return true
		}
		u := unicode.ToUpper(r)
		return u < utf8.RuneSelf && strings.IndexByte(codeLetters, byte(u)) >= 0
	}
	wordRune := func(i int) bool { return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i])) }
	for i := 0; i+7 <= len(rs); i++ {
		if wordRune(i-1) || !isLetter(rs[i]) || !isLetter(rs[i+1]) || !isLetter(rs[i+2]) {
			continue
		}
		j := i + 3
		if j < len(rs) && (rs[j] == '-' || rs[j] == ' ' || rs[j] == '–') {
			j++
		}
		if j+4 > len(rs) {
			continue
		}
		ok := true
		for k := j; k < j+4; k++ {
			if rs[k] < '0' || rs[k] > '9' {
				ok = false
			}
		}
		if !ok || wordRune(j+4) {
			continue
		}
		return NormalizeTicketCode(string(rs[i : j+4])), offs[i], offs[j+4]
	}
	return "", 0, 0
}

func tokenize(s string) []token {
	var out []token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			if w := fold(s[start:end]); w != "" {
				out = append(out, token{word: w, start: start, end: end})
			}
			start = -1
		}
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		if r == '?' {
			out = append(out, token{word: "?", start: i, end: i + 1})
		}
	}
	flush(len(s))
	return out
}

// folding maps Kazakh letters, Cyrillic and Latin, to the plain letters
// people type when their keyboard lacks them, so that "жоқ" and "жок",
// "iá" and "ia" are one word.
var folding = strings.NewReplacer(
	"қ", "к", "ғ", "г", "ң", "н", "ә", "а", "ө", "о", "ұ", "у", "ү", "у", "һ", "х", "і", "и", "ё", "е", "й", "и",
	"á", "a", "ä", "a", "ó", "o", "ö", "o", "ú", "u", "ü", "u", "ı", "i", "í", "i", "ǵ", "g", "ğ", "g", "ń", "n",
	"ş", "sh", "ç", "ch", "ý", "y", "'", "", "’", "")

func fold(w string) string { return folding.Replace(strings.ToLower(w)) }

// cleanNote trims the separators between a command and its note.
func cleanNote(s string) string {
	s = strings.TrimLeft(s, " \t\r\n,.;:!-–—)")
	return strings.Join(strings.Fields(s), " ")
}

// nearlyEqual reports an optimal-string-alignment distance of at most one.
func nearlyEqual(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(y)-len(x) > 1 {
		return false
	}
	i := 0
	for i < len(x) && x[i] == y[i] {
		i++
	}
	if i == len(x) {
		return true // equal, or one extra letter at the end
	}
	if len(x) == len(y) {
		if string(x[i+1:]) == string(y[i+1:]) {
			return true // one substitution
		}
		return i+1 < len(x) && x[i] == y[i+1] && x[i+1] == y[i] && string(x[i+2:]) == string(y[i+2:])
	}
	return string(x[i:]) == string(y[i+1:]) // one letter missing
}
