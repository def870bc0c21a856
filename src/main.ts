// `npm start`: the service, i.e. `campus-sts serve [--config FILE]`.
process.argv.splice(2, 0, 'serve');
await import('./cli/run.js');
