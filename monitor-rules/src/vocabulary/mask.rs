//! Masks for sensitive values: enough left to recognise the value, not
//! enough to use it. The same masks serve audit fields and the scrubber.

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// An IBAN with only the country code, check digits and last four kept,
/// spaces removed. Anything too short to mask that way is redacted whole.
///
/// ```
/// use monitor_rules::vocabulary::mask_iban;
///
/// assert_eq!(mask_iban("NL91ABNA0417164300"), "NL91****4300");
/// assert_eq!(mask_iban("DE89 3704 0044 0532 0130 00"), "DE89****3000");
/// ```
pub fn mask_iban(iban: &str) -> String {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 8 || !compact.is_ascii() {
        return REDACTED.to_owned();
    }
    format!("{}****{}", &compact[..4], &compact[compact.len() - 4..])
}

/// A card number with only its last four digits kept.
///
/// ```
/// assert_eq!(monitor_rules::vocabulary::mask_card("4111 1111 1111 1111"), "****1111");
/// ```
pub fn mask_card(card: &str) -> String {
    let digits: Vec<char> = card.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return REDACTED.to_owned();
    }
    let last_four: String = digits[digits.len() - 4..].iter().collect();
    format!("****{last_four}")
}

/// An e-mail address with the first letter of the local part and the domain kept.
///
/// ```
/// assert_eq!(monitor_rules::vocabulary::mask_email("jane.doe@example.org"), "j***@example.org");
/// ```
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => REDACTED.to_owned(),
    }
}
