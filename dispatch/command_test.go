package dispatch

import (
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		// digits, the fallback on any keyboard
		{"1", Command{Kind: CmdAccept, Rating: 1}},
		{" 2 ", Command{Kind: CmdDecline, Rating: 2}},
		{"3", Command{Kind: CmdDone, Rating: 3}},
		{"4", Command{Kind: CmdOnMyWay, Rating: 4}},
		{"5", Command{Kind: CmdPause, Rating: 5}},
		{"6", Command{Kind: CmdResume}},
		{"1 AKM-1234", Command{Kind: CmdAccept, Code: "AKM-1234", Rating: 1}},
		{"1 акм 1234, буду через 20 минут", Command{Kind: CmdAccept, Code: "AKM-1234", Rating: 1, Note: "буду через 20 минут"}},
		{"3. Left the bags with the neighbour", Command{Kind: CmdDone, Rating: 3, Note: "Left the bags with the neighbour"}},
		// English
		{"YES", Command{Kind: CmdAccept}},
		{"yes, in 20 minutes", Command{Kind: CmdAccept, Note: "in 20 minutes"}},
		{"Yep AKM-1234", Command{Kind: CmdAccept, Code: "AKM-1234"}},
		{"ok!", Command{Kind: CmdAccept}},
		{"no", Command{Kind: CmdDecline}},
		{"No, sorry, I am at work", Command{Kind: CmdDecline, Note: "sorry, I am at work"}},
		{"done, left the bags with the neighbour", Command{Kind: CmdDone, Note: "left the bags with the neighbour"}},
		{"Finsihed", Command{Kind: CmdDone}},
		{"on my way", Command{Kind: CmdOnMyWay}},
		{"I'm on my way, 10 min", Command{Kind: CmdOnMyWay, Note: "10 min"}},
		{"ok, on my way", Command{Kind: CmdOnMyWay}},
		{"pause until Monday", Command{Kind: CmdPause, Note: "until Monday"}},
		{"resume", Command{Kind: CmdResume}},
		{"STOP", Command{Kind: CmdStop}},
		{"Unsubscribe.", Command{Kind: CmdStop}},
		{"start", Command{Kind: CmdStart}},
		{"HELP", Command{Kind: CmdHelp}},
		{"?", Command{Kind: CmdHelp}},
		{"stop by the pharmacy please", Command{Kind: CmdUnknown, Note: "stop by the pharmacy please"}},
		// Russian
		{"ДА", Command{Kind: CmdAccept}},
		{"да, буду через 20 минут", Command{Kind: CmdAccept, Note: "буду через 20 минут"}},
		{"Беру АКМ-1234", Command{Kind: CmdAccept, Code: "AKM-1234"}},
		{"нет", Command{Kind: CmdDecline}},
		{"не могу сегодня", Command{Kind: CmdDecline, Note: "могу сегодня"}},
		{"Готово, оставил пакеты у соседки", Command{Kind: CmdDone, Note: "оставил пакеты у соседки"}},
		{"готво", Command{Kind: CmdDone}},
		{"выехал", Command{Kind: CmdOnMyWay}},
		{"да, уже еду", Command{Kind: CmdOnMyWay}},
		{"в пути", Command{Kind: CmdOnMyWay}},
		{"пауза", Command{Kind: CmdPause}},
		{"продолжить", Command{Kind: CmdResume}},
		{"СТОП", Command{Kind: CmdStop}},
		{"старт", Command{Kind: CmdStart}},
		{"помощь", Command{Kind: CmdHelp}},
		{"оценка 5", Command{Kind: CmdRating, Rating: 5}},
		// Kazakh, Cyrillic
		{"Иә", Command{Kind: CmdAccept}},
		{"ия", Command{Kind: CmdAccept}},
		{"иә, 20 минутта барамын", Command{Kind: CmdAccept, Note: "20 минутта барамын"}},
		{"Жоқ", Command{Kind: CmdDecline}},
		{"жок", Command{Kind: CmdDecline}},
		{"Дайын", Command{Kind: CmdDone}},
		{"дайын, сөмкелерді көршіге қалдырдым", Command{Kind: CmdDone, Note: "сөмкелерді көршіге қалдырдым"}},
		{"Жолдамын", Command{Kind: CmdOnMyWay}},
		{"жолда", Command{Kind: CmdOnMyWay}},
		{"үзіліс", Command{Kind: CmdPause}},
		{"тоқта", Command{Kind: CmdPause}},
		{"жалғастыру", Command{Kind: CmdResume}},
		{"көмек", Command{Kind: CmdHelp}},
		{"бас тартамын", Command{Kind: CmdDecline}},
		{"баға 4", Command{Kind: CmdRating, Rating: 4}},
		// Kazakh, Latin
		{"IÁ", Command{Kind: CmdAccept}},
		{"ia AKM-1234", Command{Kind: CmdAccept, Code: "AKM-1234"}},
		{"joq", Command{Kind: CmdDecline}},
		{"Zhoq, keshiriniz", Command{Kind: CmdDecline, Note: "keshiriniz"}},
		{"daiyn", Command{Kind: CmdDone}},
		{"Dayin!", Command{Kind: CmdDone}},
		{"bitti", Command{Kind: CmdDone}},
		{"joldamyn", Command{Kind: CmdOnMyWay}},
		{"kómek", Command{Kind: CmdHelp}},
		// not commands
		{"Мне нужна помощь дойти до поликлиники", Command{Kind: CmdUnknown, Note: "Мне нужна помощь дойти до поликлиники"}},
		{"AKM-1234", Command{Kind: CmdUnknown, Code: "AKM-1234"}},
		{"", Command{Kind: CmdUnknown}},
		{"20", Command{Kind: CmdUnknown, Note: "20"}},
		{"doing fine", Command{Kind: CmdUnknown, Note: "doing fine"}},
	}
	for _, tt := range tests {
		if got := ParseCommand(tt.in); got != tt.want {
			t.Errorf("ParseCommand(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"1", "yes, in 20 minutes", "иә AKM-1234", "Жоқ", "STOP", "оценка 5", "1 акм 1234 ok",
		"\xff\xfe", "AKM-1234AKM-1234", "?", "on my", "ә"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCommand(s)
		if c.Kind == "" {
			t.Fatalf("ParseCommand(%q): no kind", s)
		}
		if !utf8.ValidString(c.Note) || !utf8.ValidString(c.Code) {
			t.Fatalf("ParseCommand(%q): invalid UTF-8 in %+v", s, c)
		}
		if c.Rating < 0 || c.Rating > 5 || (c.Kind == CmdRating && c.Rating == 0) {
			t.Fatalf("ParseCommand(%q): rating %d", s, c.Rating)
		}
		if c.Code != "" && NormalizeTicketCode(c.Code) != c.Code {
			t.Fatalf("ParseCommand(%q): code %q not normalised", s, c.Code)
		}
	})
}
