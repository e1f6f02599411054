// End-to-end: the built VSIX in a fresh code-server profile, a workspace holding only a score.py,
// a conda file and a sample request. Diagnostics reach the Problems panel, a quick fix edits the
// file, and "Generate launch.json" writes the attach configuration.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { copyFixture, ensureVsix, Workbench } from './workbench.mjs';

let workbench;
let workspace;

before(async () => {
    const vsix = ensureVsix();
    workspace = copyFixture('aml-project');
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
