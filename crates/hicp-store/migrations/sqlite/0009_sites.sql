-- A health system and its member sites: an organization may belong to one parent
-- organization, whose page rolls up the sites' scores. One level: a parent is no site, and
-- a site has no sites (the application checks it). Kept apart from `organizations`, so that
-- reading an organization is unchanged.
CREATE TABLE org_sites (
    site_id   TEXT PRIMARY KEY NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    CHECK (site_id <> parent_id)
);
CREATE INDEX org_sites_parent ON org_sites(parent_id);
