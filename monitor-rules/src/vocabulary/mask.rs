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
    // One allocation, the result's: masking runs on the caller's thread for
    // every audit record.
    let compact = || iban.chars().filter(|c| !c.is_whitespace());
    let length = compact().count();
    if length < 8 || !compact().all(|c| c.is_ascii()) {
        return REDACTED.to_owned();
    }
    let mut masked = String::with_capacity(12);
    masked.extend(compact().take(4));
    masked.push_str("****");
    masked.extend(compact().skip(length - 4));
    masked
}

/// A card number with only its last four digits kept.
///
/// ```
/// assert_eq!(monitor_rules::vocabulary::mask_card("4111 1111 1111 1111"), "****1111");
/// ```
pub fn mask_card(card: &str) -> String {
    let digits = || card.chars().filter(char::is_ascii_digit);
    let count = digits().count();
    if count < 8 {
        return REDACTED.to_owned();
    }
    let mut masked = String::with_capacity(8);
    masked.push_str("****");
    masked.extend(digits().skip(count - 4));
    masked
}

/// An e-mail address with the first letter of the local part and the domain kept.
///
/// ```
/// assert_eq!(monitor_rules::vocabulary::mask_email("jane.doe@example.org"), "j***@example.org");
/// ```
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let mut masked = String::with_capacity(8 + domain.len());
            masked.extend(local.chars().take(1));
            masked.push_str("***@");
            masked.push_str(domain);
            masked
        }
        _ => REDACTED.to_owned(),
    }
}
