// End-to-end: the built VSIX in a fresh code-server profile, a workspace holding only a score.py,
// a conda file and a sample request. Diagnostics reach the Problems panel, a quick fix edits the
// file, and "Generate launch.json" writes the attach configuration.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { copyFixture, ensureVsix, REPO_ROOT, Workbench } from './workbench.mjs';

// A real inference-server log whose worker failed to boot (init() could not open the model).
const FAILURE_LOG = path.join(
    REPO_ROOT,
    'tests',
    'fixtures',
    'logs',
    'azmlinfsrv-model-file-missing.log',
);

let workbench;
let workspace;

before(async () => {
    const vsix = ensureVsix();
    workspace = copyFixture('aml-project');
    fs.copyFileSync(FAILURE_LOG, path.join(workspace, 'deployment.log'));
    workbench = new Workbench(workspace, 'editor');
    assert.match(workbench.installExtension(vsix), /successfully installed/);
    assert.ok(
        fs
            .readdirSync(workbench.extensionsDir)
            .some((entry) => entry.startsWith('amldebug.amldebug-')),
        'the VSIX did not land in the extensions folder',
    );
    await workbench.start();
    await workbench.screenshot('workbench-loaded');
});

after(async () => {
    await workbench?.close();
});

test('the status bar shows the Azure ML item once the extension is active', async () => {
    const item = workbench.page.locator('.part.statusbar .statusbar-item').filter({
        hasText: 'Azure ML',
    });
    await item.first().waitFor({ state: 'visible', timeout: 90_000 });
    assert.match(await item.first().innerText(), /Azure ML/);
});

test('conda file problems appear in the Problems panel with their AML codes', async () => {
    await workbench.openFile('conda.yml');
    const problems = await workbench.problemsShowing('AML204');
    await workbench.screenshot('problems-panel');
    assert.match(problems, /AML204/);
    assert.match(problems, /azureml-inference-server-http/);
    assert.match(problems, /AML209/);
});

test('the "Replace ptvsd with debugpy" quick fix edits conda.yml', async () => {
    await workbench.openFile('conda.yml');
    await workbench.goToLine(8, 11);
    await workbench.applyQuickFix(/Replace ptvsd with debugpy/);
    await workbench.page.keyboard.press('Control+S');
    const text = await workbench.waitForFile(
        path.join(workspace, 'conda.yml'),
        (content) => content.includes('debugpy') && !content.includes('ptvsd'),
    );
    await workbench.screenshot('quick-fix-applied');
    assert.match(text, /- debugpy/);
});

test('"Azure ML: Generate launch.json" writes the attach configuration', async () => {
    await workbench.openFile('score.py');
    await workbench.runCommand('Azure ML: Generate launch.json');
    const launchFile = path.join(workspace, '.vscode', 'launch.json');
    const text = await workbench.waitForFile(launchFile, (content) =>
        content.includes('/var/azureml-app'),
    );
    await workbench.screenshot('launch-json-written');
    assert.match(text, /"request":\s*"attach"/);
    assert.match(text, /5678/);
    assert.ok(fs.existsSync(launchFile));
});

test('"Azure ML: Explain Deployment Log" on a selected failure names the finding', async () => {
    await workbench.openFile('deployment.log');
    // Select from the server's start-up to the end: the failure and its traceback.
    await workbench.goToLine(30, 1);
    await workbench.page.keyboard.press('Control+Shift+End');
    await workbench.runCommand('Azure ML: Explain Deployment Log', { keepSelection: true });
    await workbench.pickQuickPickItem('The selected text');
    const text = await workbench.editorTextMatching(/init-failed/, 60_000).catch(async (error) => {
        await workbench.screenshot('explain-log-failed');
        throw error;
    });
    await workbench.screenshot('log-explained');
    const tab = workbench.page
        .locator('.tabs-container .tab.active')
        .filter({ hasText: 'log-explanation.md' });
    await tab.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(text, /## init-failed: The worker failed to boot/);
    assert.match(text, /FileNotFoundError/);
});

test('"Azure ML: Estimate AKS Replicas" asks for the load and shows replicas and formula', async () => {
    await workbench.dismissNotifications();
    await workbench.runCommand('Azure ML: Estimate AKS Replicas');
    await workbench.answerInputBox('Target requests per second', 20);
    await workbench.answerInputBox('Seconds one request takes', 0.5);
    await workbench.answerInputBox('max_concurrent_requests_per_container', 1);
    await workbench.answerInputBox('autoscale_target_utilization', 70);
    const message = await workbench
        .notificationMatching(/replica\(s\) needed/, 60_000)
        .catch(async (error) => {
            await workbench.screenshot('estimate-replicas-failed');
            throw error;
        });
    await workbench.screenshot('replicas-estimated');
    // 20 requests/s x 0.5 s = 10 in flight; at 70 % utilization, one request per replica: 15.
    assert.match(message, /about 15 replica\(s\) needed/);
    assert.match(
        message,
        /replicas = ceil\(target_rps x request_seconds \/ target_utilization \/ max_concurrent\)/,
    );
});
