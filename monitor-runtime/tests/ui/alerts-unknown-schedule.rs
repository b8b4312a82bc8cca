fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops = console;
    schedule office { days "mon-fri"; hours "08:00-18:00"; timezone "Europe/Amsterdam"; }
    rule too_many_errors {
        when errors > 10 within 1h;
        notify ops;
        during ofice;
    }
    };
}
