-- A vtiger-shaped test schema for the "vtiger" mapping preset, MySQL/MariaDB.
--
-- vtiger CRM 7.x/8.x, schema/DatabaseSchema.xml (ADOdb schema, rendered here as the
-- MySQL DDL its installer creates): every record has a row in vtiger_crmentity (crmid,
-- setype, deleted, createdtime, modifiedtime), and the module's tables share that id:
-- vtiger_contactdetails.contactid references vtiger_crmentity.crmid ON DELETE CASCADE, and
-- vtiger_contactsubdetails, vtiger_contactscf, vtiger_contactaddress reference
-- vtiger_contactdetails ON DELETE CASCADE. Activities (calls, meetings, e-mails:
-- vtiger_activity.activitytype) link to contacts through vtiger_cntactivityrel and to any
-- record through vtiger_seactivityrel (crmid). Flags such as donotcall and emailoptout are
-- varchar(3) holding '1' or '0'. Only the tables and columns the preset reads or handles
-- are here.
--
-- Checked against vtiger CRM 8.0.0 (vtigerversion.php; the copy in
-- SzakSolTam/SZAKSOLCRM_8.3GA at f3328c25): schema/DatabaseSchema.xml, with the columns
-- and types the upgrade scripts change on every 7/8 installation
-- (modules/Migration/schema/540_to_600RC.php: vtiger_crmentity.label,
-- vtiger_potential.contact_id INT(19); 600_to_610.php: vtiger_modcomments.related_to
-- int(19) and its index; 660_to_700.php: vtiger_crmentity.setype VARCHAR(100),
-- vtiger_activity.subject VARCHAR(255)) and pkg/vtiger/modules/ModComments/manifest.xml
-- (vtiger_modcomments). Every column the preset maps has the published name and type.

CREATE TABLE vtiger_crmentity (
    crmid         int(19) NOT NULL,
    smcreatorid   int(19) NOT NULL DEFAULT 0,
    smownerid     int(19) NOT NULL DEFAULT 0,
    modifiedby    int(19) NOT NULL DEFAULT 0,
    setype        varchar(100) DEFAULT NULL,
    description   mediumtext,
    createdtime   datetime NOT NULL,
    modifiedtime  datetime NOT NULL,
    viewedtime    datetime DEFAULT NULL,
    status        varchar(50) DEFAULT NULL,
    version       int(19) NOT NULL DEFAULT 0,
    presence      int(1) DEFAULT 1,
    deleted       int(1) NOT NULL DEFAULT 0,
    smgroupid     int(19) DEFAULT NULL,
    source        varchar(100) DEFAULT NULL,
    label         varchar(255) DEFAULT NULL,
    PRIMARY KEY (crmid),
    KEY crmentity_smcreatorid_idx (smcreatorid),
    KEY crmentity_deleted_idx (deleted),
    KEY crm_ownerid_del_setype_idx (smownerid, deleted, setype)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_contactdetails (
    contactid            int(19) NOT NULL DEFAULT 0,
    contact_no           varchar(100) NOT NULL,
    accountid            int(19) DEFAULT NULL,
    salutation           varchar(200) DEFAULT NULL,
    firstname            varchar(40) DEFAULT NULL,
    lastname             varchar(80) NOT NULL,
    email                varchar(100) DEFAULT NULL,
    phone                varchar(50) DEFAULT NULL,
    mobile               varchar(50) DEFAULT NULL,
    title                varchar(50) DEFAULT NULL,
    department           varchar(30) DEFAULT NULL,
    fax                  varchar(50) DEFAULT NULL,
    reportsto            varchar(30) DEFAULT NULL,
    otheremail           varchar(100) DEFAULT NULL,
    secondaryemail       varchar(100) DEFAULT NULL,
    donotcall            varchar(3) DEFAULT NULL,
    emailoptout          varchar(3) DEFAULT '0',
    imagename            varchar(150) DEFAULT NULL,
    reference            varchar(3) DEFAULT NULL,
    notify_owner         varchar(3) DEFAULT '0',
    isconvertedfromlead  varchar(3) DEFAULT '0',
    PRIMARY KEY (contactid),
    KEY contactdetails_accountid_idx (accountid),
    CONSTRAINT fk_1_vtiger_contactdetails FOREIGN KEY (contactid) REFERENCES vtiger_crmentity (crmid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_contactsubdetails (
    contactsubscriptionid     int(19) NOT NULL DEFAULT 0,
    homephone                 varchar(50) DEFAULT NULL,
    otherphone                varchar(50) DEFAULT NULL,
    assistant                 varchar(30) DEFAULT NULL,
    assistantphone            varchar(50) DEFAULT NULL,
    birthday                  date DEFAULT NULL,
    laststayintouchrequest    int(30) DEFAULT 0,
    laststayintouchsavedate   int(19) DEFAULT 0,
    leadsource                varchar(200) DEFAULT NULL,
    PRIMARY KEY (contactsubscriptionid),
    CONSTRAINT fk_1_vtiger_contactsubdetails FOREIGN KEY (contactsubscriptionid) REFERENCES vtiger_contactdetails (contactid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_contactscf (
    contactid  int(19) NOT NULL DEFAULT 0,
    PRIMARY KEY (contactid),
    CONSTRAINT fk_1_vtiger_contactscf FOREIGN KEY (contactid) REFERENCES vtiger_contactdetails (contactid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_contactaddress (
    contactaddressid  int(19) NOT NULL DEFAULT 0,
    mailingcity       varchar(40) DEFAULT NULL,
    mailingstreet     varchar(250) DEFAULT NULL,
    mailingcountry    varchar(40) DEFAULT NULL,
    mailingzip        varchar(30) DEFAULT NULL,
    PRIMARY KEY (contactaddressid),
    CONSTRAINT fk_1_vtiger_contactaddress FOREIGN KEY (contactaddressid) REFERENCES vtiger_contactdetails (contactid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_activity (
    activityid        int(19) NOT NULL DEFAULT 0,
    subject           varchar(255) NOT NULL,
    semodule          varchar(20) DEFAULT NULL,
    activitytype      varchar(200) NOT NULL,
    date_start        date NOT NULL,
    due_date          date DEFAULT NULL,
    time_start        varchar(50) DEFAULT NULL,
    time_end          varchar(50) DEFAULT NULL,
    sendnotification  varchar(3) NOT NULL DEFAULT '0',
    duration_hours    varchar(200) DEFAULT NULL,
    duration_minutes  varchar(200) DEFAULT NULL,
    status            varchar(200) DEFAULT NULL,
    eventstatus       varchar(200) DEFAULT NULL,
    priority          varchar(200) DEFAULT NULL,
    location          varchar(150) DEFAULT NULL,
    visibility        varchar(50) NOT NULL DEFAULT 'all',
    PRIMARY KEY (activityid),
    KEY activity_activityid_subject_idx (activityid, subject),
    KEY activity_date_start_idx (date_start),
    CONSTRAINT fk_1_vtiger_activity FOREIGN KEY (activityid) REFERENCES vtiger_crmentity (crmid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_cntactivityrel (
    contactid   int(19) NOT NULL DEFAULT 0,
    activityid  int(19) NOT NULL DEFAULT 0,
    PRIMARY KEY (contactid, activityid),
    KEY cntactivityrel_activityid_idx (activityid),
    CONSTRAINT fk_2_vtiger_cntactivityrel FOREIGN KEY (contactid) REFERENCES vtiger_contactdetails (contactid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_seactivityrel (
    crmid       int(19) NOT NULL,
    activityid  int(19) NOT NULL,
    PRIMARY KEY (crmid, activityid),
    KEY seactivityrel_activityid_idx (activityid),
    CONSTRAINT fk_2_vtiger_seactivityrel FOREIGN KEY (crmid) REFERENCES vtiger_crmentity (crmid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_senotesrel (
    crmid    int(19) NOT NULL DEFAULT 0,
    notesid  int(19) NOT NULL DEFAULT 0,
    PRIMARY KEY (crmid, notesid),
    CONSTRAINT fk1_crmid FOREIGN KEY (crmid) REFERENCES vtiger_crmentity (crmid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_modcomments (
    modcommentsid    int(11) NOT NULL,
    commentcontent   text,
    related_to       int(19) DEFAULT NULL,
    parent_comments  int(19) DEFAULT NULL,
    PRIMARY KEY (modcommentsid),
    KEY relatedto_idx (related_to)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_potential (
    potentialid   int(19) NOT NULL DEFAULT 0,
    potential_no  varchar(100) NOT NULL,
    related_to    int(19) DEFAULT NULL,
    potentialname varchar(120) NOT NULL,
    amount        decimal(25,8) DEFAULT NULL,
    contact_id    int(19) DEFAULT NULL,
    PRIMARY KEY (potentialid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_contpotentialrel (
    contactid    int(19) NOT NULL DEFAULT 0,
    potentialid  int(19) NOT NULL DEFAULT 0,
    PRIMARY KEY (contactid, potentialid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE vtiger_invoice (
    invoiceid   int(19) NOT NULL DEFAULT 0,
    subject     varchar(100) DEFAULT NULL,
    contactid   int(19) DEFAULT NULL,
    invoicedate date DEFAULT NULL,
    total       decimal(25,8) DEFAULT NULL,
    accountid   int(19) DEFAULT NULL,
    invoice_no  varchar(100) DEFAULT NULL,
    PRIMARY KEY (invoiceid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
