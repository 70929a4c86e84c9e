package dispatch

// Consultation categories: requests for advice that a consultant (a
// dispatcher user) answers by phone or SMS. They are kept apart from
// Categories so that the phone menu's keys 1–5 stay as they are.
const (
	CategoryLegal      Category = "legal"
	CategoryHousing    Category = "housing"
	CategoryEmployment Category = "employment"
	CategoryBenefits   Category = "benefits"
)

// ConsultCategories lists the consultation categories in form order.
var ConsultCategories = []Category{CategoryLegal, CategoryHousing, CategoryEmployment, CategoryBenefits}

// ReasonConsultation is the reason of a ticket that waits in the
// consultants' queue.
//
// The model: a consultation is never offered to volunteers. Intake creates
// it escalated with this reason (no location needed), and the engine
// escalates it the same way should it ever reach a wave (a dispatcher sent
// it back to the queue, or changed its category), so no offers row and no
// volunteer.offer text can exist for it. A consultant takes it from the
// escalated list filtered by this reason, answers through
// TicketActions.TextClient or by phone, and completes it; reports count it
// by its category, apart from volunteer tasks.
const ReasonConsultation = "consultation: for a consultant"

// Consult reports whether c is a consultation category.
func (c Category) Consult() bool {
	for _, k := range ConsultCategories {
		if c == k {
			return true
		}
	}
	return false
}
