//! Asset inventory CSV (CMDB and asset-tracker exports): columns found by synonyms, medical
//! devices recognized by the words of their category.

use crate::Error;
use crate::input::{CsvRows, Header, Out, field};
use crate::mapping::is_medical;
use crate::model::Asset;

const NAME: &[&str] = &[
    "name",
    "hostname",
    "host name",
    "host",
    "computer name",
    "device name",
    "asset name",
    "device",
    "fqdn",
    "dns name",
    "netbios name",
    "system name",
];
const IP: &[&str] = &[
    "ip",
    "ip address",
    "ip_address",
    "ipv4",
    "ipv4 address",
    "primary ip",
    "ip addresses",
];
const MAC: &[&str] = &["mac", "mac address", "mac_address", "mac addresses"];
const CATEGORY: &[&str] = &[
    "category",
    "device category",
    "asset category",
    "type",
    "device type",
    "asset type",
    "class",
    "asset class",
    "classification",
];
const ID: &[&str] = &[
    "asset id",
    "asset tag",
    "asset number",
    "asset_id",
    "id",
    "tag",
];
const MAKER: &[&str] = &["manufacturer", "vendor", "make", "maker"];
const MODEL: &[&str] = &["model", "model number"];
const OS: &[&str] = &["os", "operating system", "os name"];
const OWNER: &[&str] = &[
    "owner",
    "assigned user",
    "assigned to",
    "user",
    "custodian",
    "primary user",
];
const LOCATION: &[&str] = &["location", "site", "room", "department", "building"];
const MEDICAL: &[&str] = &["medical device", "medical", "is medical device"];

/// A header names at least an asset name and an address, category or id.
pub(crate) fn looks_like_inventory(names: &[String]) -> bool {
    let has = |set: &[&str]| names.iter().any(|n| set.contains(&n.as_str()));
    has(NAME) && (has(IP) || has(MAC) || has(CATEGORY) || has(ID))
}

pub(crate) fn read(mut rows: CsvRows<'_>, out: &mut Out) -> Result<(), Error> {
    out.scanner = "asset inventory CSV".into();
    let Some(names) = rows.next_row(out)? else {
        return Ok(());
    };
    let h = Header::new(names, out, &rows.at());
    let (name, ip, mac, category) = (h.find(NAME), h.find(IP), h.find(MAC), h.find(CATEGORY));
    let (id, maker, model, os, owner, location, medical) = (
        h.find(ID),
        h.find(MAKER),
        h.find(MODEL),
        h.find(OS),
        h.find(OWNER),
        h.find(LOCATION),
        h.find(MEDICAL),
    );
    if name.is_none() && ip.is_none() {
        out.warn("line 1", "no name or IP address column was found");
    }
    while let Some(row) = rows.next_row(out)? {
        out.records += 1;
        let category = field(&row, category);
        let flagged = field(&row, medical).map(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "yes" | "y" | "true" | "1" | "x"
            )
        });
        let asset = Asset {
            name: field(&row, name),
            ip: field(&row, ip),
            mac: field(&row, mac),
            medical_device: flagged.unwrap_or_else(|| category.as_deref().is_some_and(is_medical)),
            category,
            id: field(&row, id),
            manufacturer: field(&row, maker),
            model: field(&row, model),
            os: field(&row, os),
            owner: field(&row, owner),
            location: field(&row, location),
        };
        if asset.name.is_none() && asset.ip.is_none() && asset.mac.is_none() && asset.id.is_none() {
            out.warn(
                rows.at(),
                "row names no asset (no name, address or id) and is skipped",
            );
            continue;
        }
        out.assets.push(asset);
    }
    Ok(())
}
