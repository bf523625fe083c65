-- An Odoo-shaped test schema for the "odoo" mapping preset, PostgreSQL.
--
-- Odoo 17.0 creates its tables from its models; this file reproduces, with Odoo's column
-- names and the PostgreSQL types its ORM gives each field (Char → varchar, Text/Html →
-- text, Boolean → boolean, Integer/Many2one → integer, Datetime → timestamp without time
-- zone holding UTC, Date → date, Selection → varchar), the columns the preset reads and
-- the foreign keys Odoo declares between them (ondelete: Many2one defaults to SET NULL;
-- required ones are RESTRICT or CASCADE as the models say). Sources (odoo/odoo, 17.0):
--   res_partner      odoo/addons/base/models/res_partner.py (+ email_normalized from
--                    addons/mail/models/mail_thread_blacklist.py)
--   mail_message     addons/mail/models/mail_message.py (model, res_id, message_type,
--                    author_id, date)
--   mail_activity    addons/mail/models/mail_activity.py (res_model, res_id)
--   mail_followers   addons/mail/models/mail_followers.py (partner_id ondelete cascade)
--   mail_blacklist   addons/mail/models/mail_blacklist.py
--   calendar_event   addons/calendar/models/calendar_event.py (partner_ids: the relation
--                    table calendar_event_res_partner_rel)
--   crm_lead         addons/crm/models/crm_lead.py (partner_id)
--   account_move     addons/account/models/account_move.py (partner_id ondelete restrict)
--   sale_order       addons/sale/models/sale_order.py (partner_id required, so ondelete
--                    restrict and NOT NULL)
-- Only these tables and columns are here; a real database has hundreds more.
--
-- res_partner was cross-checked against odoo/odoo odoo/addons/base/models/res_partner.py
-- at 00021842 (the development branch after 18.0): every mapped column is there with the
-- same field type except `mobile`, which Odoo 17 has and later releases dropped (the
-- operator then unmaps the preset's mobilePhone, see docs/crms.md; the test
-- TestOdooWithoutMobileColumn drops the column from this schema to prove it).
-- mail_blacklist was checked against odoo/odoo addons/mail/models/mail_blacklist.py at
-- 0040a3a2 (an older release, 12.x, the only stored copy): email Char required with a
-- unique constraint, active Boolean, as here. mail_message, mail_activity,
-- mail_followers, calendar_event (+ calendar_event_res_partner_rel), crm_lead and
-- account_move were not re-checked against a published copy: they are as described above.

CREATE TABLE res_partner (
    id                       serial PRIMARY KEY,
    name                     varchar,
    complete_name            varchar,
    company_id               integer,
    create_date              timestamp without time zone,
    write_date               timestamp without time zone,
    title                    integer,
    parent_id                integer REFERENCES res_partner (id) ON DELETE SET NULL,
    user_id                  integer,
    ref                      varchar,
    lang                     varchar,
    tz                       varchar,
    vat                      varchar,
    website                  varchar,
    comment                  text,
    active                   boolean,
    type                     varchar,
    street                   varchar,
    street2                  varchar,
    zip                      varchar,
    city                     varchar,
    country_id               integer,
    email                    varchar,
    email_normalized         varchar,
    phone                    varchar,
    mobile                   varchar,
    is_company               boolean,
    function                 varchar,
    commercial_partner_id    integer REFERENCES res_partner (id) ON DELETE SET NULL,
    commercial_company_name  varchar,
    company_name             varchar,
    message_bounce           integer,
    employee                 boolean,
    partner_share            boolean
);
CREATE INDEX res_partner__parent_id_index ON res_partner (parent_id);
CREATE INDEX res_partner__email_normalized_index ON res_partner (email_normalized);

CREATE TABLE mail_message (
    id              serial PRIMARY KEY,
    subject         varchar,
    date            timestamp without time zone,
    body            text,
    model           varchar,
    res_id          integer,
    record_name     varchar,
    message_type    varchar NOT NULL,
    subtype_id      integer,
    author_id       integer REFERENCES res_partner (id) ON DELETE SET NULL,
    email_from      varchar,
    message_id      varchar,
    create_date     timestamp without time zone
);
CREATE INDEX mail_message_model_res_id_idx ON mail_message (model, res_id);

CREATE TABLE mail_activity (
    id                serial PRIMARY KEY,
    res_model_id      integer,
    res_model         varchar,
    res_id            integer,
    res_name          varchar,
    activity_type_id  integer,
    summary           varchar,
    note              text,
    date_deadline     date NOT NULL,
    user_id           integer,
    create_date       timestamp without time zone
);

CREATE TABLE mail_followers (
    id          serial PRIMARY KEY,
    res_model   varchar NOT NULL,
    res_id      integer,
    partner_id  integer NOT NULL REFERENCES res_partner (id) ON DELETE CASCADE
);

CREATE TABLE mail_blacklist (
    id           serial PRIMARY KEY,
    email        varchar NOT NULL UNIQUE,
    active       boolean,
    create_date  timestamp without time zone
);

CREATE TABLE calendar_event (
    id           serial PRIMARY KEY,
    name         varchar NOT NULL,
    start        timestamp without time zone NOT NULL,
    stop         timestamp without time zone NOT NULL,
    allday       boolean,
    user_id      integer,
    active       boolean,
    create_date  timestamp without time zone
);

CREATE TABLE calendar_event_res_partner_rel (
    calendar_event_id  integer NOT NULL REFERENCES calendar_event (id) ON DELETE CASCADE,
    res_partner_id     integer NOT NULL REFERENCES res_partner (id) ON DELETE CASCADE,
    PRIMARY KEY (calendar_event_id, res_partner_id)
);
CREATE INDEX calendar_event_res_partner_rel_res_partner_id_idx ON calendar_event_res_partner_rel (res_partner_id);

CREATE TABLE crm_lead (
    id            serial PRIMARY KEY,
    name          varchar NOT NULL,
    partner_id    integer REFERENCES res_partner (id) ON DELETE SET NULL,
    email_from    varchar,
    contact_name  varchar,
    expected_revenue numeric,
    create_date   timestamp without time zone
);

CREATE TABLE account_move (
    id             serial PRIMARY KEY,
    name           varchar,
    move_type      varchar NOT NULL,
    partner_id     integer REFERENCES res_partner (id) ON DELETE RESTRICT,
    amount_total   numeric,
    invoice_date   date
);

CREATE TABLE sale_order (
    id             serial PRIMARY KEY,
    name           varchar NOT NULL,
    partner_id     integer NOT NULL REFERENCES res_partner (id) ON DELETE RESTRICT,
    state          varchar,
    amount_total   numeric,
    date_order     timestamp without time zone NOT NULL
);
CREATE INDEX sale_order_partner_id_idx ON sale_order (partner_id);
