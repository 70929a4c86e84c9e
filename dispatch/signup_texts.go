package dispatch

import (
	"fmt"
	"strings"
)

// signupTexts are the sign-up conversation's replies by Advance's key.
// They live here rather than in the message templates because the
// district list is built from SignupDistricts.
var signupTexts = map[string]map[Lang]string{
	"name": {
		LangKK: "Ерікті болғыңыз келгені үшін рахмет! Атыңыз бен тегіңізді жазыңыз.",
		LangRU: "Спасибо, что хотите стать волонтёром! Напишите имя и фамилию.",
		LangEN: "Thank you for volunteering! Please reply with your full name.",
	},
	"district": {
		LangKK: "Қай ауданда көмектесе аласыз? Нөмірін немесе атауын жазыңыз:\n%s",
		LangRU: "В каком районе вы можете помогать? Ответьте номером или названием:\n%s",
		LangEN: "Where can you help? Reply with a number or a name:\n%s",
	},
	"languages": {
		LangKK: "Қай тілдерде сөйлейсіз? 1 қазақша, 2 орысша, 3 ағылшынша (мысалы: 12).",
		LangRU: "На каких языках вы говорите? 1 казахский, 2 русский, 3 английский (например: 12).",
		LangEN: "Which languages do you speak? 1 Kazakh, 2 Russian, 3 English (for example: 23).",
	},
	"skills": {
		LangKK: "Не істей аласыз? 1 арбадан көтеру, 2 ым тілі, 3 көлік бар, 4 медициналық көмек; 0 ешқайсысы (мысалы: 13).",
		LangRU: "Что вы умеете? 1 пересадка с коляски, 2 жестовый язык, 3 есть машина, 4 медпомощь; 0 ничего из этого (например: 13).",
		LangEN: "What can you do? 1 wheelchair transfer, 2 sign language, 3 have a car, 4 first aid; 0 none of these (for example: 13).",
	},
	"consent": {
		LangKK: "Атыңызды, телефоныңызды және ауданыңызды тапсырма ұсыну үшін сақтауымызға келісесіз бе? ИӘ немесе ЖОҚ деп жауап беріңіз.",
		LangRU: "Согласны ли вы, что мы храним ваше имя, телефон и район, чтобы предлагать задания? Ответьте ДА или НЕТ.",
		LangEN: "Do you agree that we keep your name, phone and district to offer you tasks? Reply YES or NO.",
	},
	"done": {
		LangKK: "Рахмет! Диспетчер сіздің өтінішіңізді тексеріп, хабарласады.",
		LangRU: "Спасибо! Диспетчер проверит заявку и сообщит вам.",
		LangEN: "Thank you! A dispatcher will check your sign-up and let you know.",
	},
	"cancelled": {
		LangKK: "Жарайды, деректеріңіз сақталмады. Кейін ЕРІКТІ деп жаза аласыз.",
		LangRU: "Хорошо, ваши данные не сохранены. Можно начать снова словом ВОЛОНТЕР.",
		LangEN: "All right, nothing was kept. Text VOLUNTEER to start again.",
	},
	"waiting": {
		LangKK: "Өтінішіңіз диспетчердің тексеруін күтуде. Бекітілгеннен кейін тапсырмалар келеді.",
		LangRU: "Ваша заявка ждёт проверки диспетчером. Задания начнут приходить после утверждения.",
		LangEN: "Your sign-up is waiting for a dispatcher's check. Tasks will come once you are approved.",
	},
	"approved": {
		LangKK: "Құттықтаймыз, сіз ерікті ретінде бекітілдіңіз! Тапсырмалар SMS арқылы келеді.",
		LangRU: "Поздравляем, вы утверждены волонтёром! Задания будут приходить по SMS.",
		LangEN: "Welcome, you are approved as a volunteer! Tasks will come by SMS.",
	},
}

// SignupText renders the reply key in lang (Russian if lang is unknown).
func SignupText(key string, lang Lang) string {
	if !lang.Valid() {
		lang = LangRU
	}
	t := signupTexts[key][lang]
	if key == "district" {
		var b strings.Builder
		for i, d := range SignupDistricts {
			fmt.Fprintf(&b, "%d %s\n", i+1, d.Name[lang])
		}
		t = fmt.Sprintf(t, strings.TrimRight(b.String(), "\n"))
	}
	return t
}
