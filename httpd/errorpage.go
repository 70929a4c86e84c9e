package httpd

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// pageText is an error page's wording in one language.
type pageText struct {
	Title, Back, RequestID string
}

// errorTexts: a heading per status class and language. The detailed message
// of an error is English and written for developers, so the page shows only
// these.
var errorTexts = map[dispatch.Lang]map[int]string{
	dispatch.LangKK: {
		400: "Сұрау дұрыс емес. Енгізілген деректерді тексеріңіз.",
		401: "Алдымен жүйеге кіріңіз.",
		403: "Бұл бетке рұқсатыңыз жоқ.",
		404: "Бет табылмады.",
		409: "Бұл әрекетті қазір орындау мүмкін емес. Бетті жаңартып, қайталаңыз.",
		413: "Жіберілген деректер тым үлкен.",
		422: "Деректерді өңдеу мүмкін болмады. Енгізілгенді тексеріңіз.",
		429: "Сұраулар тым көп. Біраз күтіп, қайталаңыз.",
		500: "Бізде қате орын алды. Кейінірек қайталаңыз.",
		503: "Қызмет уақытша қолжетімсіз. Біраз күтіп, қайталаңыз.",
	},
	dispatch.LangRU: {
		400: "Неверный запрос. Проверьте введённые данные.",
		401: "Сначала войдите в систему.",
		403: "У вас нет доступа к этой странице.",
		404: "Страница не найдена.",
		409: "Сейчас это действие невозможно. Обновите страницу и попробуйте снова.",
		413: "Отправлено слишком много данных.",
		422: "Данные не удалось обработать. Проверьте введённое.",
		429: "Слишком много запросов. Подождите немного и повторите.",
		500: "У нас произошла ошибка. Попробуйте позже.",
		503: "Сервис временно недоступен. Подождите немного и повторите.",
	},
	dispatch.LangEN: {
		400: "The request is not valid. Please check what you entered.",
		401: "Please sign in first.",
		403: "You do not have access to this page.",
		404: "Page not found.",
		409: "This cannot be done right now. Reload the page and try again.",
		413: "Too much data was sent.",
		422: "The data could not be processed. Please check what you entered.",
		429: "Too many requests. Please wait a moment and try again.",
		500: "Something went wrong on our side. Please try again later.",
		503: "The service is temporarily unavailable. Please wait a moment and try again.",
	},
}

var pageTexts = map[dispatch.Lang]pageText{
	dispatch.LangKK: {Title: "Қате", Back: "Басты бетке оралу", RequestID: "Сұрау нөмірі"},
	dispatch.LangRU: {Title: "Ошибка", Back: "Вернуться на главную", RequestID: "Номер запроса"},
	dispatch.LangEN: {Title: "Error", Back: "Back to the start", RequestID: "Request number"},
}

// errorPageTmpl has no script and no inline style: it must render under the
// strict CSP, and it must read well in a screen reader (one heading, the
// message in a live region, a plain link back).
var errorPageTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}} — {{.Text.Title}}</title>
</head>
<body>
<main>
<h1>{{.Text.Title}} {{.Status}}</h1>
<p role="alert">{{.Message}}</p>
<p><a href="{{.Home}}">{{.Text.Back}}</a></p>
<p><small>{{.Text.RequestID}}: {{.RequestID}}</small></p>
</main>
</body>
</html>
`))

// RequestLang is the language a page request asked for: ?lang, then the
// lang cookie, then Accept-Language, else Russian, which most callers of
// the hotline read.
func RequestLang(r *http.Request) dispatch.Lang {
	if l, err := dispatch.ParseLang(r.URL.Query().Get("lang")); err == nil {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l, err := dispatch.ParseLang(c.Value); err == nil {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(tag, "-")
		if l, err := dispatch.ParseLang(base); err == nil {
			return l
		}
	}
	return dispatch.LangRU
}

func (s *Server) errorPage(c echo.Context, status int, _ ErrorBody) error {
	r := c.Request()
	lang := RequestLang(r)
	class := status
	if _, ok := errorTexts[lang][class]; !ok {
		class = 400
		if status >= 500 {
			class = 500
		}
	}
	home := "/request?lang=" + string(lang)
	if strings.HasPrefix(r.URL.Path, "/console") {
		home = "/console"
	}
	var b strings.Builder
	err := errorPageTmpl.Execute(&b, map[string]any{
		"Lang": lang, "Status": status, "Text": pageTexts[lang], "Message": errorTexts[lang][class],
		"Home": home, "RequestID": RequestID(r.Context()),
	})
	if err != nil {
		return err
	}
	return c.HTML(status, b.String())
}
