// Apps the tests build in the runner's own process log to stdout only: shipping would connect
// them, under the default namespace, to the shared broker. Apps started as processes get their
// own environment (testProcessEnv) and ship as configured.
process.env.LOG_SHIPPING = process.env.LOG_SHIPPING ?? 'off';
