// Prints jest's totals as one plain last line, `N passed, N failed[, N skipped]`, for CI.
const fs = require('node:fs');

class TotalsReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    let line = `${results.numPassedTests} passed, ${failed} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    // Written at exit so it comes after jest's own summary, whatever the reporter order.
    process.once('exit', () => fs.writeSync(1, `\n${line}\n`));
  }
}
module.exports = TotalsReporter;
