package mapping

// Presets of CRMs teams run themselves. Each follows the CRM's own published schema (the
// version and the source files are named on each function, and the test fixtures in
// config/samples/crm reproduce the tables used); docs/crms.md says, per CRM, which
// logical field maps to which column and what the operator cannot see.
const (
	// PresetOdoo is Odoo 17 (PostgreSQL).
	PresetOdoo = "odoo"
	// PresetDolibarr is Dolibarr 18 to 24 (MySQL/MariaDB).
	PresetDolibarr = "dolibarr"
	// PresetEspoCRM is EspoCRM 8 (MySQL/MariaDB).
	PresetEspoCRM = "espocrm"
	// PresetVtiger is vtiger CRM 7/8 (MySQL/MariaDB).
	PresetVtiger = "vtiger"
)

func init() {
	presets[PresetOdoo] = preset{mapping: odooMapping, optional: []string{"mobilePhone"}}
	presets[PresetDolibarr] = preset{mapping: dolibarrMapping}
	presets[PresetEspoCRM] = preset{mapping: espoCRMMapping}
	presets[PresetVtiger] = preset{mapping: vtigerMapping}
}

// odooMapping maps Odoo 17: res_partner (odoo/addons/base/models/res_partner.py, with
// email_normalized from mail's mail.thread.blacklist), mail_message
// (addons/mail/models/mail_message.py: model, res_id, date, message_type, author_id),
// mail_activity, mail_followers, mail_blacklist, calendar_event and its attendee relation
// calendar_event_res_partner_rel (addons/calendar), crm_lead.partner_id (addons/crm),
// account_move, account_move_line, account_payment and account_bank_statement_line
// (addons/account), sale_order (addons/sale), res_users.partner_id and
// res_company.partner_id (base).
//
// Odoo refuses to delete a partner that one of these references (ON DELETE RESTRICT):
// sale_order.partner_id, partner_invoice_id and partner_shipping_id (required),
// account_move.partner_id and commercial_partner_id and account_move_line.partner_id
// (ondelete='restrict': an invoice or journal entry names its partner for good),
// account_payment.partner_id and account_bank_statement_line.partner_id
// (ondelete='restrict'), res_users.partner_id (required, restrict: the user's own
// partner) and res_company.partner_id (required, so restrict: the company's own
// partner). Orders, invoices, entries and payments are accounting records, and a user or
// a company must be removed in Odoo: a partner any of them references is held
// (ActionHold), counted as held like a legal hold, and never blocks a sweep. Two other
// required references without ondelete (so RESTRICT) are deleted with the partner
// instead: a user's calendar filter showing the partner (calendar_filters.partner_id)
// and a web-push device (mail_partner_device.partner_id). Nullable references Odoo sets
// to NULL itself (a lead's customer, an invoice's delivery address) are detached.
//
// res_partner holds companies as well as people (is_company) and Odoo archives rather
// than deletes (active = false): both are fields selectors can use, not soft deletes.
// Odoo Community has no legal-basis or consent column, nor a birth date. mobilePhone is
// optional: releases after Odoo 17 have no res_partner.mobile (ResolveFor unmaps it there).
func odooMapping() Mapping {
	return Mapping{
		Contacts: ContactsTable{Table: "res_partner", Key: "id"},
		Fields: map[string]Field{
			"fullName":        {Column: "name"},
			FieldEmail:        {Column: "email"},
			FieldPhone:        {Column: "phone"},
			"mobilePhone":     {Column: "mobile"},
			FieldCompany:      {Column: "commercial_company_name"},
			FieldJobRole:      {Column: "function"},
			FieldCreatedAt:    {Column: "create_date"},
			"modifiedAt":      {Column: "write_date"},
			"isCompany":       {Column: "is_company"},
			"parentCompanyId": {Column: "parent_id"},
			"active":          {Column: "active"},
			"partnerType":     {Column: "type"},
			FieldOptOut:       {Column: "active", Source: SourceRelated, Related: "blacklist"},
			"emailNormalized": {Column: "email_normalized"},
		},
		Related: []RelatedTable{{
			Name: "blacklist", Table: "mail_blacklist", Key: "email", ContactColumn: "email_normalized", Erase: RelatedKeep,
		}},
		Interactions: []Interaction{
			{
				Name: "messages", Table: "mail_message", Key: "id", ContactKey: "res_id", Time: "date", Kind: "message_type",
				Match: []Match{{Column: "model", Value: "res.partner"}},
			},
			{
				Name: "meetings", Table: "calendar_event", Key: "id", Time: "start", FixedKind: "meeting",
				Link: &InteractionLink{Table: "calendar_event_res_partner_rel", InteractionKey: "calendar_event_id", ContactKey: "res_partner_id"},
			},
		},
		Dependents: []Dependent{
			{Table: "mail_message", Column: "res_id", Action: ActionDelete, Match: []Match{{Column: "model", Value: "res.partner"}}},
			{Table: "mail_message", Column: "author_id", Action: ActionNullify},
			{Table: "mail_activity", Column: "res_id", Action: ActionDelete, Match: []Match{{Column: "res_model", Value: "res.partner"}}},
			{Table: "mail_followers", Column: "partner_id", Action: ActionDelete},
			{Table: "calendar_event_res_partner_rel", Column: "res_partner_id", Action: ActionDelete},
			{Table: "calendar_filters", Column: "partner_id", Action: ActionDelete},
			{Table: "mail_partner_device", Column: "partner_id", Action: ActionDelete},
			{Table: "crm_lead", Column: "partner_id", Action: ActionNullify},
			{Table: "account_move", Column: "partner_shipping_id", Action: ActionNullify},
			{Table: "account_move", Column: "partner_id", Action: ActionHold},
			{Table: "account_move", Column: "commercial_partner_id", Action: ActionHold},
			{Table: "account_move_line", Column: "partner_id", Action: ActionHold},
			{Table: "sale_order", Column: "partner_id", Action: ActionHold},
			{Table: "sale_order", Column: "partner_invoice_id", Action: ActionHold},
			{Table: "sale_order", Column: "partner_shipping_id", Action: ActionHold},
			{Table: "account_payment", Column: "partner_id", Action: ActionHold},
			{Table: "account_bank_statement_line", Column: "partner_id", Action: ActionHold},
			{Table: "res_users", Column: "partner_id", Action: ActionHold},
			{Table: "res_company", Column: "partner_id", Action: ActionHold},
			{Table: "res_partner", Column: "parent_id", Action: ActionNullify},
			{Table: "res_partner", Column: "commercial_partner_id", Action: ActionNullify},
		},
		PersonalFields: []string{"fullName", FieldEmail, FieldPhone, "mobilePhone", "emailNormalized"},
	}
}

// dolibarrMapping maps Dolibarr 18 to 24: llx_socpeople and llx_socpeople_extrafields
// (htdocs/install/mysql/tables), with the extra fields the GDPR module (datapolicy)
// creates there: datapolicy_consentement, datapolicy_opposition_traitement,
// datapolicy_opposition_prospection, datapolicy_date; events in llx_actioncomm
// (fk_contact, datep, code AC_TEL/AC_RDV/AC_EMAIL…) and their attendees in
// llx_actioncomm_resources (element_type socpeople); llx_element_contact links contacts to
// proposals, orders and invoices, which stay. Like Dolibarr's own Contact::delete(), an
// erasure also deletes the contact's default roles at its third party
// (llx_societe_contacts, whose foreign key would otherwise refuse the deletion) and its
// notification subscriptions (llx_notify_def).
//
// llx_element_contact.fk_socpeople holds a user id, not a contact id, when the role is
// internal: like Contact::delete(), the preset deletes only the rows whose role
// (fk_c_type_contact → llx_c_type_contact.rowid) has source 'external', through a lookup
// match, so a user whose id equals an erased contact's keeps its internal roles.
func dolibarrMapping() Mapping {
	return Mapping{
		Contacts:  ContactsTable{Table: "llx_socpeople", Key: "rowid"},
		Extension: &ExtensionTable{Table: "llx_socpeople_extrafields", Key: "fk_object"},
		Fields: map[string]Field{
			FieldFirstName:         {Column: "firstname"},
			FieldLastName:          {Column: "lastname"},
			FieldEmail:             {Column: "email"},
			FieldPhone:             {Column: "phone"},
			"mobilePhone":          {Column: "phone_mobile"},
			FieldJobRole:           {Column: "poste"},
			FieldOptOut:            {Column: "no_email"},
			FieldCreatedAt:         {Column: "datec"},
			FieldBirthDate:         {Column: "birthday"},
			"modifiedAt":           {Column: "tms"},
			"companyId":            {Column: "fk_soc"},
			"status":               {Column: "statut"},
			"consentGiven":         {Column: "datapolicy_consentement", Source: SourceExtension},
			FieldConsentAt:         {Column: "datapolicy_date", Source: SourceExtension},
			"objectsToProcessing":  {Column: "datapolicy_opposition_traitement", Source: SourceExtension},
			"objectsToProspecting": {Column: "datapolicy_opposition_prospection", Source: SourceExtension},
		},
		Interactions: []Interaction{
			{Name: "events", Table: "llx_actioncomm", Key: "id", ContactKey: "fk_contact", Time: "datep", Kind: "code"},
			{
				Name: "event-attendees", Table: "llx_actioncomm", Key: "id", Time: "datep", Kind: "code",
				Link: &InteractionLink{Table: "llx_actioncomm_resources", InteractionKey: "fk_actioncomm", ContactKey: "fk_element",
					Match: []Match{{Column: "element_type", Value: "socpeople"}}},
			},
		},
		Dependents: []Dependent{
			{Table: "llx_actioncomm_resources", Column: "fk_element", Action: ActionDelete, Match: []Match{{Column: "element_type", Value: "socpeople"}}},
			{Table: "llx_actioncomm", Column: "fk_contact", Action: ActionDelete},
			{Table: "llx_element_contact", Column: "fk_socpeople", Action: ActionDelete, Match: []Match{{Column: "fk_c_type_contact", Value: "external",
				Lookup: &MatchLookup{Table: "llx_c_type_contact", Key: "rowid", Column: "source"}}}},
			{Table: "llx_societe_contacts", Column: "fk_socpeople", Action: ActionDelete},
			{Table: "llx_notify_def", Column: "fk_contact", Action: ActionDelete},
			{Table: "llx_categorie_contact", Column: "fk_socpeople", Action: ActionDelete},
			{Table: "llx_mailing_cibles", Column: "fk_contact", Action: ActionDelete},
		},
		PersonalFields: []string{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, "mobilePhone", FieldBirthDate, "personalPhone"},
		RestrictedFields: []RestrictedField{
			{Name: FieldBirthDate, Column: "birthday"},
			{Name: "personalPhone", Column: "phone_perso"},
		},
	}
}

// espoCRMMapping maps EspoCRM 8 (application/Espo/Modules/Crm/Resources/metadata/
// entityDefs: Contact, Call, Meeting, Email, Task; entityDefs EmailAddress, PhoneNumber,
// Note): contact keyed by a 17-character id and soft-deleted with deleted = 1; e-mail
// addresses in email_address through entity_email_address (entity_type Contact, primary),
// phone numbers likewise; the job title is the role of the contact's account_contact row;
// calls and meetings through call_contact and contact_meeting; e-mails, tasks and stream
// notes by their parent (parent_type Contact). E-mails also reach a contact by address,
// whatever their parent: the sender's address (email.from_email_address_id) and the
// recipients' (email_email_address: email_id, email_address_id, address_type to/cc/bcc)
// are e-mail address ids that entity_email_address ties to contacts (Interaction.Related).
// Those e-mails are kept on erasure: they are the organisation's record of a message.
func espoCRMMapping() Mapping {
	contactType := func() []Match { return []Match{{Column: "parent_type", Value: "Contact"}} }
	return Mapping{
		Contacts: ContactsTable{Table: "contact", Key: "id", SoftDeleteColumn: "deleted"},
		Fields: map[string]Field{
			FieldFirstName: {Column: "first_name"},
			FieldLastName:  {Column: "last_name"},
			FieldEmail:     {Column: "name", Source: SourceRelated, Related: "email-addresses"},
			FieldOptOut:    {Column: "opt_out", Source: SourceRelated, Related: "email-addresses"},
			FieldPhone:     {Column: "name", Source: SourceRelated, Related: "phone-numbers"},
			FieldJobRole:   {Column: "role", Source: SourceRelated, Related: "accounts"},
			FieldCreatedAt: {Column: "created_at"},
			"modifiedAt":   {Column: "modified_at"},
			"doNotCall":    {Column: "do_not_call"},
			"accountId":    {Column: "account_id"},
		},
		Related: []RelatedTable{
			{
				Name: "email-addresses", Table: "email_address", Key: "id", SoftDeleteColumn: "deleted", Erase: RelatedDelete,
				Link: &RelatedLink{Table: "entity_email_address", ContactKey: "entity_id", RelatedKey: "email_address_id",
					Match: []Match{{Column: "entity_type", Value: "Contact"}}, SoftDeleteColumn: "deleted", PrimaryColumn: "primary"},
			},
			{
				Name: "phone-numbers", Table: "phone_number", Key: "id", SoftDeleteColumn: "deleted", Erase: RelatedDelete,
				Link: &RelatedLink{Table: "entity_phone_number", ContactKey: "entity_id", RelatedKey: "phone_number_id",
					Match: []Match{{Column: "entity_type", Value: "Contact"}}, SoftDeleteColumn: "deleted", PrimaryColumn: "primary"},
			},
			{Name: "accounts", Table: "account_contact", Key: "contact_id", SoftDeleteColumn: "deleted", Erase: RelatedDelete},
		},
		Interactions: []Interaction{
			{
				Name: "calls", Table: "call", Key: "id", Time: "date_start", FixedKind: "call", Direction: "direction", SoftDeleteColumn: "deleted",
				Link: &InteractionLink{Table: "call_contact", InteractionKey: "call_id", ContactKey: "contact_id", SoftDeleteColumn: "deleted"},
			},
			{
				Name: "meetings", Table: "meeting", Key: "id", Time: "date_start", FixedKind: "meeting", SoftDeleteColumn: "deleted",
				Link: &InteractionLink{Table: "contact_meeting", InteractionKey: "meeting_id", ContactKey: "contact_id", SoftDeleteColumn: "deleted"},
			},
			{
				Name: "emails", Table: "email", Key: "id", ContactKey: "parent_id", Time: "date_sent", FixedKind: "email",
				SoftDeleteColumn: "deleted", Match: contactType(),
			},
			{
				Name: "email-senders", Table: "email", Key: "id", ContactKey: "from_email_address_id", Related: "email-addresses",
				Time: "date_sent", FixedKind: "email", SoftDeleteColumn: "deleted",
			},
			{
				Name: "email-recipients", Table: "email", Key: "id", Related: "email-addresses",
				Time: "date_sent", FixedKind: "email", SoftDeleteColumn: "deleted",
				Link: &InteractionLink{Table: "email_email_address", InteractionKey: "email_id", ContactKey: "email_address_id", SoftDeleteColumn: "deleted"},
			},
		},
		Dependents: []Dependent{
			{Table: "call_contact", Column: "contact_id", Action: ActionDelete},
			{Table: "contact_meeting", Column: "contact_id", Action: ActionDelete},
			{Table: "call", Column: "parent_id", Action: ActionNullify, Match: contactType()},
			{Table: "meeting", Column: "parent_id", Action: ActionNullify, Match: contactType()},
			{Table: "email", Column: "parent_id", Action: ActionNullify, Match: contactType()},
			{Table: "task", Column: "parent_id", Action: ActionDelete, Match: contactType()},
			{Table: "note", Column: "parent_id", Action: ActionDelete, Match: contactType()},
			{Table: "contact_opportunity", Column: "contact_id", Action: ActionDelete},
			{Table: "opportunity", Column: "contact_id", Action: ActionNullify},
		},
		PersonalFields: []string{FieldFirstName, FieldLastName, FieldEmail, FieldPhone},
	}
}

// vtigerMapping maps vtiger CRM 7/8 (schema/DatabaseSchema.xml): vtiger_contactdetails
// extends vtiger_crmentity (crmid = contactid, setype Contacts), which holds the deleted
// flag and the created and modified times; vtiger_contactsubdetails holds the birthday and
// the home phone; custom fields (cf_NNN) are in vtiger_contactscf; activities (vtiger_activity: activitytype Call, Meeting, Emails…) link to
// contacts through vtiger_cntactivityrel and, for e-mails, vtiger_seactivityrel (crmid);
// an activity deleted in vtiger (its own vtiger_crmentity row has deleted = 1) renews
// nothing.
// donotcall and emailoptout are varchar(3) flags holding '1' or '0'.
func vtigerMapping() Mapping {
	return Mapping{
		Contacts:  ContactsTable{Table: "vtiger_contactdetails", Key: "contactid", SoftDeleteColumn: "deleted", SoftDeleteRelated: "crmentity"},
		Extension: &ExtensionTable{Table: "vtiger_contactscf", Key: "contactid"},
		Fields: map[string]Field{
			FieldFirstName: {Column: "firstname"},
			FieldLastName:  {Column: "lastname"},
			FieldEmail:     {Column: "email"},
			FieldPhone:     {Column: "phone"},
			"mobilePhone":  {Column: "mobile"},
			FieldJobRole:   {Column: "title"},
			FieldOptOut:    {Column: "emailoptout"},
			"doNotCall":    {Column: "donotcall"},
			"department":   {Column: "department"},
			"accountId":    {Column: "accountid"},
			FieldCreatedAt: {Column: "createdtime", Source: SourceRelated, Related: "crmentity"},
			"modifiedAt":   {Column: "modifiedtime", Source: SourceRelated, Related: "crmentity"},
			FieldBirthDate: {Column: "birthday", Source: SourceRelated, Related: "subdetails"},
			"leadSource":   {Column: "leadsource", Source: SourceRelated, Related: "subdetails"},
		},
		Related: []RelatedTable{
			{Name: "crmentity", Table: "vtiger_crmentity", Key: "crmid", Base: true, Erase: RelatedDelete,
				Match: []Match{{Column: "setype", Value: "Contacts"}}},
			{Name: "subdetails", Table: "vtiger_contactsubdetails", Key: "contactsubscriptionid", Erase: RelatedDelete},
		},
		Interactions: []Interaction{
			{
				Name: "activities", Table: "vtiger_activity", Key: "activityid", Time: "date_start", Kind: "activitytype",
				SoftDeleteColumn: "deleted", SoftDeleteTable: "vtiger_crmentity", SoftDeleteKey: "crmid",
				Link: &InteractionLink{Table: "vtiger_cntactivityrel", InteractionKey: "activityid", ContactKey: "contactid"},
			},
			{
				Name: "related-activities", Table: "vtiger_activity", Key: "activityid", Time: "date_start", Kind: "activitytype",
				SoftDeleteColumn: "deleted", SoftDeleteTable: "vtiger_crmentity", SoftDeleteKey: "crmid",
				Link: &InteractionLink{Table: "vtiger_seactivityrel", InteractionKey: "activityid", ContactKey: "crmid"},
			},
		},
		Dependents: []Dependent{
			{Table: "vtiger_cntactivityrel", Column: "contactid", Action: ActionDelete},
			{Table: "vtiger_seactivityrel", Column: "crmid", Action: ActionDelete},
			{Table: "vtiger_senotesrel", Column: "crmid", Action: ActionDelete},
			{Table: "vtiger_modcomments", Column: "related_to", Action: ActionDelete},
			{Table: "vtiger_contpotentialrel", Column: "contactid", Action: ActionDelete},
			{Table: "vtiger_potential", Column: "contact_id", Action: ActionNullify},
			{Table: "vtiger_invoice", Column: "contactid", Action: ActionNullify},
			{Table: "vtiger_contactaddress", Column: "contactaddressid", Action: ActionDelete},
		},
		PersonalFields: []string{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, "mobilePhone", FieldBirthDate, "homePhone"},
		RestrictedFields: []RestrictedField{
			{Name: FieldBirthDate, Column: "birthday", Source: SourceRelated, Related: "subdetails"},
			{Name: "homePhone", Column: "homephone", Source: SourceRelated, Related: "subdetails"},
		},
	}
}
