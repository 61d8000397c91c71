// Verifies a deployed AnchorRegistry with Sourcify's own verification library
// (@ethereum-sourcify/lib-sourcify): recompiles the committed standard-JSON input and compares
// the result with the code on chain, runtime and creation, as Sourcify's server would.
// The compiler is the npm package solc pinned in contracts/package.json (the one that builds
// the artifact), behind the library's compiler interface.
// stdin:  {"rpc", "chainId", "address", "creationTx", "compilerVersion", "standardJsonInput",
//          "target": {"path", "name"}}
// stdout: {"runtimeMatch", "creationMatch", "runtimeTransformations", "creationTransformations"}
'use strict';
const fs = require('fs');
const path = require('path');
const { SolidityCompilation, Verification, SourcifyChain } = require('@ethereum-sourcify/lib-sourcify');

const solc = require(path.join(__dirname, '..', '..', 'contracts', 'node_modules', 'solc'));

class NpmSolc {
  async compile(version, input) {
    const have = solc.version();
    if (!have.startsWith(version.replace(/^v/, ''))) {
      throw new Error(`asked for solc ${version}, have ${have}`);
    }
    return JSON.parse(solc.compile(JSON.stringify(input)));
  }
}

async function main() {
  const job = JSON.parse(fs.readFileSync(0, 'utf8'));
  const chain = new SourcifyChain({
    name: 'devnet',
    chainId: job.chainId,
    supported: true,
    rpcs: [{ rpc: job.rpc, traceSupport: 'debug_traceTransaction' }],
  });
  const compilation = new SolidityCompilation(
    new NpmSolc(), job.compilerVersion, job.standardJsonInput, job.target,
  );
  const verification = new Verification(compilation, chain, job.address, job.creationTx);
  await verification.verify();
  const { runtime, creation } = verification.transformations;
  process.stdout.write(JSON.stringify({
    runtimeMatch: verification.status.runtimeMatch,
    creationMatch: verification.status.creationMatch,
    runtimeTransformations: runtime.list.map(t => t.reason),
    creationTransformations: creation.list.map(t => t.reason),
  }) + '\n');
}

main().catch(error => {
  process.stderr.write(`sourcify verification failed: ${error && (error.message || error)}\n`);
  process.exit(1);
});
