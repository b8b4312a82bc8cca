//! `alerts! { … }`: destinations and rules, checked at compile time by the
//! same validator that checks rule files, and expanded into an
//! `AlertConfig` value.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Lit, LitStr, Token};

use monitor_rules::macro_support::{
    Loc, RawAuth, RawCondition, RawConfig, RawDestination, RawRule, RawSchedule, RawSummary, RawTemplate, Sp,
};
use monitor_rules::{
    BodyEncoding, Cadence, Condition, Field, Filter, Op, OutsideSchedule, Rule, Schedule, Summary, Target, WebhookAuth,
    WebhookTemplate,
};

pub(crate) struct AlertsInput(RawConfig);

fn sp_ident(ident: &Ident) -> Sp<String> {
    Sp::new(ident.to_string(), Loc::Token(ident.span()))
}

impl Parse for AlertsInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut raw = RawConfig::default();
        while !input.is_empty() {
            let keyword: Ident = input.parse()?;
            match keyword.to_string().as_str() {
                "destination" => raw.destinations.push(destination(input)?),
                "rule" => raw.rules.push(rule(input)?),
                "schedule" => raw.schedules.push(schedule(input)?),
                "summary" => raw.summaries.push(summary(input)?),
                other => {
                    return Err(syn::Error::new(
                        keyword.span(),
                        format!("expected `destination`, `rule`, `schedule` or `summary`, found `{other}`"),
                    ));
                }
            }
        }
        Ok(AlertsInput(raw))
    }
}

/// `destination name = kind("value", …);`, with its own rate limit
/// `… at most 30 per minute;` when it has one. After its strings, a
/// webhook may list the parts of a body template:
/// `webhook("https://…", form, field To = "+31…", field Body = "{title}",
/// auth = bearer("SMS_TOKEN"), max_chars Body = 160)`.
fn destination(input: ParseStream<'_>) -> syn::Result<RawDestination> {
    let name: Ident = input.parse()?;
    input.parse::<Token![=]>()?;
    let kind: Ident = input.parse()?;
    let mut values = Vec::new();
    let mut template: Option<RawTemplate> = None;
    if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        while !content.is_empty() {
            if content.peek(LitStr) {
                let value: LitStr = content.parse()?;
                values.push(Sp::new(value.value(), Loc::Token(value.span())));
            } else {
                let option: Ident = content.parse().map_err(|error| {
                    syn::Error::new(
                        error.span(),
                        format!("expected a string or a part of a body template: {TEMPLATE_PARTS}"),
                    )
                })?;
                let template = template.get_or_insert_with(|| RawTemplate {
                    loc: Some(Loc::Token(option.span())),
                    ..RawTemplate::default()
                });
                template_part(&option, &content, template)?;
            }
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
    }
    let per_minute = if input.peek(Token![;]) { None } else { Some(rate_limit(input)?) };
    input.parse::<Token![;]>()?;
    Ok(RawDestination { name: sp_ident(&name), kind: sp_ident(&kind), values, per_minute, template })
}

const TEMPLATE_PARTS: &str = "`json`, `form`, `field Name = \"text\"`, `auth = bearer(\"VAR\")`, `auth = basic(\"USER_VAR\", \"PASSWORD_VAR\")` or `max_chars Name = 160`";

/// One part of a body template, `option` already read; the validator
/// checks what it says.
fn template_part(option: &Ident, input: ParseStream<'_>, template: &mut RawTemplate) -> syn::Result<()> {
    // `To`, or `"X-Api-Version"` for a name that is not an identifier.
    let field_name = |input: ParseStream<'_>| -> syn::Result<Sp<String>> {
        if input.peek(LitStr) {
            let name: LitStr = input.parse()?;
            Ok(Sp::new(name.value(), Loc::Token(name.span())))
        } else {
            let name = input.call(<Ident as syn::ext::IdentExt>::parse_any)?;
            Ok(sp_ident(&name))
        }
    };
    match option.to_string().as_str() {
        "json" | "form" => template.encoding = Some(sp_ident(option)),
        "field" => {
            let name = field_name(input)?;
            input.parse::<Token![=]>()?;
            let text: LitStr = input.parse()?;
            template.fields.push((name, Sp::new(text.value(), Loc::Token(text.span()))));
        }
        "max_chars" => {
            let name = field_name(input)?;
            input.parse::<Token![=]>()?;
            let lit: Lit = input.parse()?;
            let digits = match &lit {
                Lit::Int(int) if int.suffix().is_empty() => int.base10_digits().to_owned(),
                Lit::Float(float) if float.suffix().is_empty() => float.base10_digits().to_owned(),
                _ => return Err(syn::Error::new(lit.span(), "expected a number of characters, such as `160`")),
            };
            template.max_chars.push((name, Sp::new(digits, Loc::Token(lit.span()))));
        }
        "auth" => {
            input.parse::<Token![=]>()?;
            let scheme: Ident = input.parse()?;
            let args;
            syn::parenthesized!(args in input);
            let variables: Vec<Sp<String>> = args
                .parse_terminated(<LitStr as Parse>::parse, Token![,])?
                .iter()
                .map(|v| Sp::new(v.value(), Loc::Token(v.span())))
                .collect();
            template.auth = Some(match (scheme.to_string().as_str(), variables.as_slice()) {
                ("bearer", [token]) => RawAuth::Bearer(token.clone()),
                ("basic", [user, password]) => RawAuth::Basic(user.clone(), password.clone()),
                _ => {
                    return Err(syn::Error::new(
                        scheme.span(),
                        "expected `bearer(\"VAR\")` or `basic(\"USER_VAR\", \"PASSWORD_VAR\")`, naming the \
                         environment variables that hold the secrets",
                    ));
                }
            });
        }
        other => {
            return Err(syn::Error::new(
                option.span(),
                format!("unknown part `{other}` of a destination: expected a string, {TEMPLATE_PARTS}"),
            ));
        }
    }
    Ok(())
}

/// `at most 30 per minute`: the number as written; the validator checks it.
fn rate_limit(input: ParseStream<'_>) -> syn::Result<Sp<String>> {
    const FORM: &str = "write `;`, or a rate limit such as `at most 30 per minute;`";
    let word = |input: ParseStream<'_>, expected: &str| -> syn::Result<()> {
        let found: Ident =
            input.parse().map_err(|error| syn::Error::new(error.span(), format!("expected `{expected}`: {FORM}")))?;
        if found == expected {
            Ok(())
        } else {
            Err(syn::Error::new(found.span(), format!("expected `{expected}`, found `{found}`: {FORM}")))
        }
    };
    word(input, "at")?;
    word(input, "most")?;
    let minus = input.parse::<Option<Token![-]>>()?.map_or("", |_| "-");
    let lit: Lit = input.parse()?;
    // A suffix (`30u8`, `30m`) is not part of the number: refused, not dropped.
    let digits = match &lit {
        Lit::Int(int) if int.suffix().is_empty() => int.base10_digits().to_owned(),
        Lit::Float(float) if float.suffix().is_empty() => float.base10_digits().to_owned(),
        _ => return Err(syn::Error::new(lit.span(), "expected a number of notifications a minute, such as `30`")),
    };
    let per_minute = Sp::new(format!("{minus}{digits}"), Loc::Token(lit.span()));
    word(input, "per")?;
    word(input, "minute")?;
    Ok(per_minute)
}

/// `schedule name { days "mon-fri"; hours "08:00-18:00"; timezone "Europe/Amsterdam"; }`
fn schedule(input: ParseStream<'_>) -> syn::Result<RawSchedule> {
    let name: Ident = input.parse()?;
    let body;
    syn::braced!(body in input);
    let mut schedule = RawSchedule { name: sp_ident(&name), days: None, hours: None, timezone: None };
    while !body.is_empty() {
        let clause: Ident = body.parse()?;
        let value: LitStr = body.parse()?;
        let value = Some(Sp::new(value.value(), Loc::Token(value.span())));
        match clause.to_string().as_str() {
            "days" => schedule.days = value,
            "hours" => schedule.hours = value,
            "timezone" => schedule.timezone = value,
            other => {
                return Err(syn::Error::new(
                    clause.span(),
                    format!("unknown clause `{other}`: expected days, hours or timezone"),
                ));
            }
        }
        body.parse::<Token![;]>()?;
    }
    Ok(schedule)
}

/// `summary name { daily at "08:00"; timezone "Europe/Amsterdam"; notify ops; }`,
/// or `weekly on "mon" at "08:00"`; the validator checks the values.
fn summary(input: ParseStream<'_>) -> syn::Result<RawSummary> {
    let name: Ident = input.parse()?;
    let body;
    syn::braced!(body in input);
    let mut summary = RawSummary::named(sp_ident(&name));
    let text = |input: ParseStream<'_>| -> syn::Result<Sp<String>> {
        let value: LitStr = input.parse()?;
        Ok(Sp::new(value.value(), Loc::Token(value.span())))
    };
    let word = |input: ParseStream<'_>, expected: &str, form: &str| -> syn::Result<()> {
        let found: Ident =
            input.parse().map_err(|error| syn::Error::new(error.span(), format!("expected `{expected}`: {form}")))?;
        if found == expected {
            Ok(())
        } else {
            Err(syn::Error::new(found.span(), format!("expected `{expected}`, found `{found}`: {form}")))
        }
    };
    while !body.is_empty() {
        let clause: Ident = body.parse()?;
        match clause.to_string().as_str() {
            "daily" => {
                summary.cadence.push(sp_ident(&clause));
                word(&body, "at", "write `daily at \"08:00\"`")?;
                summary.at = Some(text(&body)?);
            }
            "weekly" => {
                const FORM: &str = "write `weekly on \"mon\" at \"08:00\"`";
                summary.cadence.push(sp_ident(&clause));
                word(&body, "on", FORM)?;
                summary.day = Some(text(&body)?);
                word(&body, "at", FORM)?;
                summary.at = Some(text(&body)?);
            }
            "timezone" => summary.timezone = Some(text(&body)?),
            "notify" => summary.notify = names(&body)?,
            other => {
                return Err(syn::Error::new(
                    clause.span(),
                    format!("unknown clause `{other}`: expected daily, weekly, timezone or notify"),
                ));
            }
        }
        body.parse::<Token![;]>()?;
    }
    Ok(summary)
}

/// `rule name { when …; severity …; notify …; … }`
fn rule(input: ParseStream<'_>) -> syn::Result<RawRule> {
    let name: Ident = input.parse()?;
    let body;
    syn::braced!(body in input);
    let mut rule = RawRule::named(sp_ident(&name));
    while !body.is_empty() {
        let clause: Ident = body.parse()?;
        match clause.to_string().as_str() {
            "when" => {
                let mut tokens = TokenStream::new();
                while !body.is_empty() && !body.peek(Token![;]) {
                    tokens.extend([body.parse::<TokenTree>()?]);
                }
                rule.when = Some(RawCondition::Tokens(tokens));
            }
            "severity" => rule.severity = Some(sp_ident(&body.parse()?)),
            "notify" => rule.notify = names(&body)?,
            "group_by" => rule.group_by = names(&body)?,
            "group_wait" => rule.group_wait = Some(duration(&body)?),
            "group_interval" => rule.group_interval = Some(duration(&body)?),
            "repeat_interval" => rule.repeat_interval = Some(duration(&body)?),
            "during" => rule.during = Some(sp_ident(&body.parse()?)),
            "outside" => rule.outside = Some(sp_ident(&body.parse()?)),
            other => {
                return Err(syn::Error::new(
                    clause.span(),
                    format!(
                        "unknown clause `{other}`: expected when, severity, notify, group_by, group_wait, group_interval, repeat_interval, during or outside"
                    ),
                ));
            }
        }
        body.parse::<Token![;]>()?;
    }
    Ok(rule)
}

/// `a, b, tag.tenant`
fn names(input: ParseStream<'_>) -> syn::Result<Vec<Sp<String>>> {
    let mut names = Vec::new();
    loop {
        let first: Ident = input.parse()?;
        let mut name = sp_ident(&first);
        if input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let second: Ident = input.parse()?;
            name.value = format!("{first}.{second}");
        }
        names.push(name);
        if !input.peek(Token![,]) {
            return Ok(names);
        }
        input.parse::<Token![,]>()?;
    }
}

/// `4h`, `1h30m`, `"90s"` as written; the validator parses it.
fn duration(input: ParseStream<'_>) -> syn::Result<Sp<String>> {
    let lit: Lit = input.parse()?;
    let text = match &lit {
        Lit::Str(s) => s.value(),
        Lit::Int(int) => int.token().to_string(),
        Lit::Float(float) => float.token().to_string(),
        _ => return Err(syn::Error::new(lit.span(), "expected a duration, such as `5m`")),
    };
    Ok(Sp::new(text, Loc::Token(lit.span())))
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let rt = crate::runtime_path();
    let AlertsInput(raw) = syn::parse2(input)?;
    let config = monitor_rules::macro_support::check(&raw).map_err(|errors| {
        let mut all: Option<syn::Error> = None;
        for error in errors {
            let span = match error.loc {
                Loc::Token(span) => span,
                Loc::File { .. } => proc_macro2::Span::call_site(),
            };
            let error = syn::Error::new(span, error.message);
            match &mut all {
                Some(all) => all.combine(error),
                None => all = Some(error),
            }
        }
        all.unwrap_or_else(|| syn::Error::new(proc_macro2::Span::call_site(), "invalid alert rules"))
    })?;
    let destinations = config.destinations.iter().map(|d| {
        let name = &d.name;
        let target = target(&d.target);
        let per_minute = match d.per_minute {
            Some(per_minute) => quote!(::std::option::Option::Some(#per_minute)),
            None => quote!(::std::option::Option::None),
        };
        quote! {
            #rt::alerts::Destination {
                name: ::std::string::String::from(#name),
                target: #target,
                per_minute: #per_minute,
            }
        }
    });
    let rules = config.rules.iter().map(rule_tokens);
    let schedules = config.schedules.iter().map(schedule_tokens);
    let summaries = config.summaries.iter().map(summary_tokens);
    Ok(quote! {
        #rt::alerts::AlertConfig {
            destinations: ::std::vec![#(#destinations),*],
            rules: ::std::vec![#(#rules),*],
            schedules: ::std::vec![#(#schedules),*],
            summaries: ::std::vec![#(#summaries),*],
        }
    })
}

/// Every mistake as a `compile_error!`, inside a block: `alerts!` is an
/// expression, and there two `compile_error!{…}` in a row would be read as
/// one path (`compile_error!{…}::core::…`), burying the messages under
/// parse errors. In a block each is a statement of its own.
pub(crate) fn compile_errors(error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    quote!({ #errors })
}

fn string(value: &str) -> TokenStream {
    quote!(::std::string::String::from(#value))
}

fn strings(values: &[String]) -> TokenStream {
    let values = values.iter().map(|v| string(v));
    quote!(::std::vec![#(#values),*])
}

fn duration_tokens(duration: std::time::Duration) -> TokenStream {
    let (secs, nanos) = (duration.as_secs(), duration.subsec_nanos());
    quote!(::std::time::Duration::new(#secs, #nanos))
}

fn target(target: &Target) -> TokenStream {
    let rt = crate::runtime_path();
    let path = quote!(#rt::alerts::Target);
    let (variant, url) = match target {
        Target::Slack(url) => ("Slack", url),
        Target::Discord(url) => ("Discord", url),
        Target::Teams(url) => ("Teams", url),
        Target::Webhook(url) => ("Webhook", url),
        Target::Alertmanager(url) => ("Alertmanager", url),
        Target::Email(to) => {
            let to = strings(to);
            return quote!(#path::Email(#to));
        }
        Target::Console => return quote!(#path::Console),
        Target::TemplatedWebhook(template) => {
            let template = webhook_template(template);
            return quote!(#path::TemplatedWebhook(#template));
        }
        // The validator and this crate are released together: a kind it
        // makes is a kind this crate writes out.
        _ => return quote!(::core::compile_error!("monitor's macros do not know this kind of destination")),
    };
    let variant = syn::Ident::new(variant, proc_macro2::Span::call_site());
    let url = string(url);
    quote!(#path::#variant(#url))
}

fn webhook_template(template: &WebhookTemplate) -> TokenStream {
    let rt = crate::runtime_path();
    let url = string(&template.url);
    let encoding = match template.encoding {
        BodyEncoding::Json => quote!(Json),
        BodyEncoding::Form => quote!(Form),
    };
    let fields = template.fields.iter().map(|field| {
        let (name, text) = (string(&field.name), string(&field.template));
        let max_chars = match field.max_chars {
            Some(max) => quote!(::std::option::Option::Some(#max)),
            None => quote!(::std::option::Option::None),
        };
        quote!(#rt::alerts::TemplateField { name: #name, template: #text, max_chars: #max_chars })
    });
    let auth = match &template.auth {
        None => quote!(::std::option::Option::None),
        Some(WebhookAuth::Bearer { token_env }) => {
            let token_env = string(token_env);
            quote!(::std::option::Option::Some(#rt::alerts::WebhookAuth::Bearer { token_env: #token_env }))
        }
        Some(WebhookAuth::Basic { user_env, password_env }) => {
            let (user_env, password_env) = (string(user_env), string(password_env));
            quote!(::std::option::Option::Some(#rt::alerts::WebhookAuth::Basic {
                user_env: #user_env,
                password_env: #password_env,
            }))
        }
    };
    quote! {
        #rt::alerts::WebhookTemplate {
            url: #url,
            encoding: #rt::alerts::BodyEncoding::#encoding,
            fields: ::std::vec![#(#fields),*],
            auth: #auth,
        }
    }
}

fn filters(filters: &[Filter]) -> TokenStream {
    let rt = crate::runtime_path();
    let items = filters.iter().map(|filter| {
        let field = match &filter.field {
            Field::Severity => quote!(Severity),
            Field::Module => quote!(Module),
            Field::Function => quote!(Function),
            Field::Group => quote!(Group),
            Field::Kind => quote!(Kind),
            Field::Process => quote!(Process),
            Field::Action => quote!(Action),
            Field::Status => quote!(Status),
            Field::Tag(tag) => {
                let tag = string(tag);
                quote!(Tag(#tag))
            }
        };
        let op = match filter.op {
            Op::Eq => quote!(Eq),
            Op::Ne => quote!(Ne),
            Op::Ge => quote!(Ge),
            Op::Gt => quote!(Gt),
            Op::Le => quote!(Le),
            Op::Lt => quote!(Lt),
        };
        let value = string(&filter.value);
        quote! {
            #rt::alerts::Filter {
                field: #rt::alerts::Field::#field,
                op: #rt::alerts::Op::#op,
                value: #value,
            }
        }
    });
    quote!(::std::vec![#(#items),*])
}

fn condition(condition: &Condition) -> TokenStream {
    let rt = crate::runtime_path();
    let path = quote!(#rt::alerts::Condition);
    match condition {
        Condition::Errors { filters: f, above, window } => {
            let (f, w) = (filters(f), duration_tokens(*window));
            quote!(#path::Errors { filters: #f, above: #above, window: #w })
        }
        Condition::FleetErrors { filters: f, above, window } => {
            let (f, w) = (filters(f), duration_tokens(*window));
            quote!(#path::FleetErrors { filters: #f, above: #above, window: #w })
        }
        Condition::Audit { filters: f, above, window } => {
            let (f, w) = (filters(f), duration_tokens(*window));
            quote!(#path::Audit { filters: #f, above: #above, window: #w })
        }
        Condition::Latency { percentile, filters: f, above, window } => {
            let (f, a, w) = (filters(f), duration_tokens(*above), duration_tokens(*window));
            quote!(#path::Latency { percentile: #percentile, filters: #f, above: #a, window: #w })
        }
        Condition::ErrorRate { filters: f, above_percent, window, min_calls } => {
            let (f, w) = (filters(f), duration_tokens(*window));
            quote!(#path::ErrorRate { filters: #f, above_percent: #above_percent, window: #w, min_calls: #min_calls })
        }
        Condition::NewGroup { filters: f } => {
            let f = filters(f);
            quote!(#path::NewGroup { filters: #f })
        }
        Condition::Regression { filters: f } => {
            let f = filters(f);
            quote!(#path::Regression { filters: #f })
        }
        Condition::Absent { heartbeat, period } => {
            let (h, p) = (string(heartbeat), duration_tokens(*period));
            quote!(#path::Absent { heartbeat: #h, period: #p })
        }
        Condition::Memory { above_bytes, every } => {
            let e = duration_tokens(*every);
            quote!(#path::Memory { above_bytes: #above_bytes, every: #e })
        }
        Condition::Cpu { above_percent, every } => {
            let e = duration_tokens(*every);
            quote!(#path::Cpu { above_percent: #above_percent, every: #e })
        }
    }
}

fn schedule_tokens(schedule: &Schedule) -> TokenStream {
    let rt = crate::runtime_path();
    let (name, zone) = (string(&schedule.name), string(&schedule.timezone));
    let days = schedule.days;
    let (from, to) = (schedule.from_minute, schedule.to_minute);
    quote! {
        #rt::alerts::Schedule {
            name: #name,
            days: [#(#days),*],
            from_minute: #from,
            to_minute: #to,
            timezone: #zone,
        }
    }
}

fn summary_tokens(summary: &Summary) -> TokenStream {
    let rt = crate::runtime_path();
    let (name, zone) = (string(&summary.name), string(&summary.timezone));
    let cadence = match summary.cadence {
        Cadence::Daily => quote!(#rt::alerts::Cadence::Daily),
        Cadence::Weekly { day } => quote!(#rt::alerts::Cadence::Weekly { day: #day }),
    };
    let at_minute = summary.at_minute;
    let notify = strings(&summary.notify);
    quote! {
        #rt::alerts::Summary {
            name: #name,
            cadence: #cadence,
            at_minute: #at_minute,
            timezone: #zone,
            notify: #notify,
        }
    }
}

fn rule_tokens(rule: &Rule) -> TokenStream {
    let rt = crate::runtime_path();
    let name = string(&rule.name);
    let condition = condition(&rule.condition);
    let severity = syn::Ident::new(
        &{
            let mut s = rule.severity.as_str().to_owned();
            s[..1].make_ascii_uppercase();
            s
        },
        proc_macro2::Span::call_site(),
    );
    let notify = strings(&rule.notify);
    let group_by = strings(&rule.group_by);
    let (wait, interval, repeat) =
        (duration_tokens(rule.group_wait), duration_tokens(rule.group_interval), duration_tokens(rule.repeat_interval));
    let schedule = match &rule.schedule {
        Some(name) => {
            let name = string(name);
            quote!(::std::option::Option::Some(#name))
        }
        None => quote!(::std::option::Option::None),
    };
    let outside = match rule.outside_schedule {
        OutsideSchedule::Hold => quote!(Hold),
        OutsideSchedule::Drop => quote!(Drop),
    };
    let mut tokens = TokenStream::new();
    quote! {
        #rt::alerts::Rule {
            name: #name,
            condition: #condition,
            severity: #rt::Severity::#severity,
            notify: #notify,
            group_by: #group_by,
            group_wait: #wait,
            group_interval: #interval,
            repeat_interval: #repeat,
            schedule: #schedule,
            outside_schedule: #rt::alerts::OutsideSchedule::#outside,
        }
    }
    .to_tokens(&mut tokens);
    tokens
}
