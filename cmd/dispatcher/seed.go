package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The demo data: volunteers and clients around three cities of the north of
// Kazakhstan, with Kazakh and Russian names, mixed skills and languages.
var seedCities = []struct {
	Name     string
	Centre   dispatch.Location
	Share    int // volunteers per 10
	Streets  []string
	Language dispatch.Lang
}{
	{"Астана", dispatch.Location{Lat: 51.1694, Lon: 71.4491}, 5, []string{"Кабанбай батыра", "Туран", "Мангилик Ел", "Сыганак", "Республики", "Абая", "Сарыарка"}, dispatch.LangKK},
	{"Кокшетау", dispatch.Location{Lat: 53.2833, Lon: 69.3833}, 2, []string{"Абая", "Ауельбекова", "Горького", "Назарбаева", "Акана серэ"}, dispatch.LangKK},
	{"Павлодар", dispatch.Location{Lat: 52.2873, Lon: 76.9674}, 3, []string{"Торайгырова", "Естая", "Ломова", "Академика Сатпаева", "Кутузова"}, dispatch.LangRU},
}

var (
	kkFirst = []string{"Айгерим", "Асель", "Динара", "Жанар", "Гульнара", "Мадина", "Аружан", "Айдана", "Ерлан", "Нурлан", "Данияр", "Асхат", "Бауыржан", "Ержан", "Арман", "Самат", "Әлия", "Ақмарал", "Нұрсұлтан", "Қайрат"}
	kkLast  = []string{"Нурланов", "Сеитов", "Жаксылыков", "Абенов", "Омаров", "Касымов", "Сарсенбаев", "Тулегенов", "Бекмуханов", "Искаков", "Ахметов", "Мұқанов"}
	ruFirst = []string{"Анна", "Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Мария", "Сергей", "Андрей", "Дмитрий", "Алексей", "Виктор", "Николай", "Павел", "Юлия", "Светлана"}
	ruLast  = []string{"Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков"}
)

type seedPlan struct {
	Volunteers, Clients, Tickets int
}

func personName(r *rand.Rand, kazakh bool) string {
	if kazakh {
		return kkFirst[r.IntN(len(kkFirst))] + " " + kkLast[r.IntN(len(kkLast))]
	}
	return ruFirst[r.IntN(len(ruFirst))] + " " + ruLast[r.IntN(len(ruLast))]
}

// jitter places a point up to km kilometres from c.
func jitter(r *rand.Rand, c dispatch.Location, km float64) dispatch.Location {
	return dispatch.Location{
		Lat: c.Lat + (r.Float64()*2-1)*km/111.0,
		Lon: c.Lon + (r.Float64()*2-1)*km/(111.0*0.62),
	}
}

// seed writes the demo data through the domain services, so that it goes
// through the same validation and audit as real data. It is deterministic.
func seed(ctx context.Context, store dispatch.Store, intake dispatch.TicketIntake, geo dispatch.GeoIndex, p seedPlan) error {
	r := rand.New(rand.NewPCG(2026, 12))
	city := func(i int) int { // spread by share: 5/10 Astana, 2/10 Kokshetau, 3/10 Pavlodar
		k := i % 10
		switch {
		case k < seedCities[0].Share:
			return 0
		case k < seedCities[0].Share+seedCities[1].Share:
			return 1
		}
		return 2
	}
	for i := 0; i < p.Volunteers; i++ {
		c := seedCities[city(i)]
		kazakh := r.IntN(10) < 6
		langs := []dispatch.Lang{dispatch.LangRU}
		if kazakh {
			langs = []dispatch.Lang{dispatch.LangKK, dispatch.LangRU}
		}
		if r.IntN(5) == 0 {
			langs = append(langs, dispatch.LangEN)
		}
		var skills []dispatch.Skill
		for _, s := range dispatch.Skills {
			if r.IntN(4) == 0 {
				skills = append(skills, s)
			}
		}
		loc := jitter(r, c.Centre, 8)
		v := &dispatch.Volunteer{
			Name: personName(r, kazakh), Phone: fmt.Sprintf("+7701%07d", 1000000+i),
			Languages: langs, Skills: skills, Location: &loc,
			Available: r.IntN(8) != 0, MaxTasks: 1 + r.IntN(2),
		}
		if r.IntN(4) == 0 { // some keep evening hours on weekdays
			for d := time.Monday; d <= time.Friday; d++ {
				v.Windows = append(v.Windows, dispatch.Window{Day: d, Start: 17 * 60, End: 22 * 60})
			}
		}
		if err := store.CreateVolunteer(ctx, v); err != nil {
			return fmt.Errorf("seed volunteer %d: %w", i, err)
		}
		if geo != nil && v.CanTakeWork() {
			if err := geo.Set(ctx, v.ID, *v.Location); err != nil {
				return fmt.Errorf("seed geo index: %w", err)
			}
		}
	}
	needs := []dispatch.Need{dispatch.NeedWheelchair, dispatch.NeedBlind, dispatch.NeedDeaf, dispatch.NeedSpeech, dispatch.NeedElderly}
	var clients []*dispatch.Client
	for i := 0; i < p.Clients; i++ {
		c := seedCities[city(i)]
		kazakh := r.IntN(2) == 0
		lang := dispatch.LangRU
		if kazakh {
			lang = dispatch.LangKK
		}
		loc := jitter(r, c.Centre, 5)
		cl := &dispatch.Client{
			Phone: fmt.Sprintf("+7702%07d", 2000000+i), Name: personName(r, kazakh), Lang: lang,
			Location: &loc, Address: fmt.Sprintf("%s, ул. %s, %d", c.Name, c.Streets[r.IntN(len(c.Streets))], 1+r.IntN(120)),
			Needs: []dispatch.Need{needs[r.IntN(len(needs))]},
		}
		if err := store.CreateClient(ctx, cl); err != nil {
			return fmt.Errorf("seed client %d: %w", i, err)
		}
		clients = append(clients, cl)
	}
	descriptions := map[dispatch.Category][]string{
		dispatch.CategoryEscort:        {"Нужно проводить в поликлинику к 10 утра", "Емханаға апарып жіберу керек"},
		dispatch.CategoryShopping:      {"Купить продукты и лекарства по списку", "Дәріханадан дәрі алып келу керек"},
		dispatch.CategoryHome:          {"Помочь поменять лампочку и вынести мусор", "Үйде көмек керек: су тасу"},
		dispatch.CategoryAccessibility: {"Нет пандуса у аптеки на углу", "Емхананың кіреберісінде пандус жоқ"},
	}
	cats := []dispatch.Category{dispatch.CategoryEscort, dispatch.CategoryShopping, dispatch.CategoryHome, dispatch.CategoryAccessibility}
	for i := 0; i < p.Tickets && len(clients) > 0; i++ {
		cl := clients[i%len(clients)]
		cat := cats[i%len(cats)]
		d := descriptions[cat][i%2]
		urg := dispatch.UrgencyNormal
		if i%4 == 0 {
			urg = dispatch.UrgencyUrgent
		}
		_, err := intake.Submit(ctx, dispatch.IntakeRequest{
			SourceID: fmt.Sprintf("seed-%d", i), Channel: dispatch.ChannelWeb, Phone: cl.Phone, Name: cl.Name,
			Category: cat, Description: d, Lang: cl.Lang, Location: cl.Location, Address: cl.Address,
			Urgency: urg, Actor: dispatch.ActorClient,
		})
		if err != nil {
			return fmt.Errorf("seed ticket %d: %w", i, err)
		}
	}
	return nil
}

func dispatchFilterOne() dispatch.VolunteerFilter { return dispatch.VolunteerFilter{Limit: 1} }
