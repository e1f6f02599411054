// The debug session as a user lives it (issue 10), in a real VS Code (code-server 4.100.3) with a
// `debugpy` debug type installed next to our VSIX: the test-only stand-in from
// ../shared/vscode-extensions/ (it connects VS Code to the debugpy server in the container, as
// Microsoft's Python Debugger does for this attach configuration). One container serves the
// scenarios in order, to keep CI time down:
//   1. F5 on our launch.json entry with no container: the offer to start it; accepting builds, runs
//      and ends stopped at a gutter breakpoint on the LOCAL score.py for a POST /score from
//      outside; Variables show the request, F10 moves one line, our wrapper is not in the call
//      stack, continue answers HTTP 200;
//   2. edit + save score.py: the next request stops at the breakpoint again, no F5 pressed, and
//      answers with the new code;
//   3. save while paused: the paused request still gets its answer, then the new code loads;
//   4. a conditional breakpoint and a logpoint work through the same path;
//   5. a fresh profile WITHOUT any debugpy extension: "Debug in Container" still stops.
// Skipped with the reason when Docker, the base image or the stand-in VSIX is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { ensureVsix, freePort, REPO_ROOT, Workbench } from './workbench.mjs';

const BASE_IMAGE = process.env.AMLDEBUG_TEST_BASE_IMAGE ?? 'amldebug-test/python-base:bookworm';
// CI has shared/ beside the clone.
const STANDIN_VSIX =
    process.env.AMLDEBUG_STANDIN_VSIX ??
    path.join(REPO_ROOT, '..', 'shared', 'vscode-extensions', 'debugpy-attach-standin-0.0.1.vsix');
const RUN_ID = `${process.pid}`;
const CONTAINER = `amldebug-e2e-dbg-${RUN_ID}`;
const IMAGE = `amldebug-e2e-dbg:${RUN_ID}`;
const BREAK_LINE = 24; // `rows = json.loads(raw_data)["data"]` in run()
const RETURN_LINE = 29; // `return {"predictions": predictions}`
const README_SHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function whyskip() {
    try {
        execFileSync('docker', ['image', 'inspect', BASE_IMAGE], { stdio: 'ignore' });
    } catch {
        return `no Docker engine or no base image ${BASE_IMAGE}; run .ci/setup-docker.sh`;
    }
    if (!fs.existsSync(STANDIN_VSIX)) {
        return `the debugpy stand-in VSIX is missing at ${STANDIN_VSIX} (shared/ beside the clone)`;
    }
    return false;
}

const skip = whyskip();
let workbench;
let workspace;
let port;
let debugPort;
let settings;
const timings = {};

function copyWorkingProject() {
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'amldebug-e2e-debugger-'));
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'working-project'), target, { recursive: true });
    return target;
}

/** Line numbers of the gutter glyphs with class `glyphClass` in the active editor. */
async function glyphLines(page, glyphClass) {
    return page.evaluate((cls) => {
        const editor =
            document.querySelector('.editor-group-container.active .monaco-editor') ??
            document.querySelector('.monaco-editor');
        if (!editor) {
            return [];
        }
        const numbers = [...editor.querySelectorAll('.margin-view-overlays > div')].map((div) => ({
            top: div.getBoundingClientRect().top,
            n: div.querySelector('.line-numbers')?.textContent?.trim(),
        }));
        return [...editor.querySelectorAll(`.${cls}`)].map((glyph) => {
            const top = glyph.getBoundingClientRect().top;
            const nearest = numbers.reduce(
                (best, l) => (Math.abs(l.top - top) < Math.abs(best.top - top) ? l : best),
                { top: 1e9, n: null },
            );
            return nearest.n ? Number(nearest.n) : null;
        });
    }, glyphClass);
}

/** A click in the glyph margin of `line`, as a user sets a breakpoint (F9 when it missed). */
async function setBreakpoint(wb, line) {
    const page = wb.page;
    await wb.goToLine(line, 1);
    await sleep(500);
    const number = page
        .locator(
            '.editor-group-container.active .monaco-editor .margin-view-overlays .line-numbers',
        )
        .filter({ hasText: new RegExp(`^${line}$`) })
        .first();
    await number.waitFor({ state: 'visible', timeout: 15_000 });
    const box = await number.boundingBox();
    const margin = await page
        .locator('.editor-group-container.active .monaco-editor .margin')
        .first()
        .boundingBox();
    await page.mouse.move(margin.x + 9, box.y + box.height / 2);
    await sleep(300);
    await page.mouse.click(margin.x + 9, box.y + box.height / 2);
    await sleep(1000);
    const lines = async () => [
        ...(await glyphLines(page, 'codicon-debug-breakpoint')),
        ...(await glyphLines(page, 'codicon-debug-breakpoint-unverified')),
    ];
    if (!(await lines()).includes(line)) {
        await wb.goToLine(line, 5);
        await page.keyboard.press('F9');
        await sleep(1000);
    }
    return lines();
}

/** POST sample-request.json to /score from outside the editor, as curl does. */
function postScore(body = fs.readFileSync(path.join(workspace, 'sample-request.json'), 'utf8')) {
    const child = spawn(
        'curl',
        [
            '-sS',
            '--max-time',
            '240',
            '-w',
            '\nHTTP %{http_code}\n',
            '-X',
            'POST',
            '-H',
            'Content-Type: application/json',
            '--data-binary',
            body,
            `http://127.0.0.1:${port}/score`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const done = new Promise((resolve) => child.on('exit', () => resolve(out)));
    return { done, finished: () => child.exitCode !== null };
}

async function waitForStop(page, timeout = 60_000) {
    await page.waitForSelector(
        '.monaco-editor .codicon-debug-stackframe, .monaco-editor .debug-top-stack-frame-line',
        { timeout },
    );
    await sleep(1500); // the views fill in
}

async function panelText(page, selector) {
    return page
        .locator(selector)
        .first()
        .innerText({ timeout: 5_000 })
        .catch(() => '');
}

/** A debug session is up and every breakpoint is verified (debugpy accepted it). */
async function waitForAttached(page, timeout) {
    await page.waitForSelector('.debug-toolbar', { state: 'visible', timeout });
    await page.waitForFunction(
        () => !document.querySelector('.monaco-editor .codicon-debug-breakpoint-unverified'),
        null,
        { timeout: 30_000 },
    );
}

/** The reload ended the session (its worker is gone) and a new one attached by itself. */
async function waitForReattached(page) {
    await page
        .waitForSelector('.debug-toolbar', { state: 'hidden', timeout: 30_000 })
        .catch(() => undefined); // it may have come back between two polls
    await waitForAttached(page, 60_000);
    await sleep(1000);
}

/** Continue, by the debug toolbar's button (F5 when the toolbar does not show it). */
async function continueRun(page) {
    const button = page.locator('.debug-toolbar .codicon-debug-continue').first();
    if (await button.isVisible().catch(() => false)) {
        await button.click();
    } else {
        await page.keyboard.press('F5');
    }
}

async function expandLocals(page) {
    const locals = page.locator('.debug-variables .monaco-list-row').filter({ hasText: /^Locals/ });
    if (
        (await locals.count()) > 0 &&
        (await locals.first().getAttribute('aria-expanded')) === 'false'
    ) {
        await locals.first().click();
        await sleep(800);
    }
}

/** Replaces line `line` of score.py in the editor with `text` and saves (retried under load). */
async function editAndSave(wb, line, text, marker) {
    const scorePy = path.join(workspace, 'score.py');
    for (let attempt = 1; attempt <= 3; attempt++) {
        await wb.openFile('score.py');
        await wb.goToLine(line, 5);
        await wb.page.keyboard.press('Shift+End');
        await wb.page.keyboard.insertText(text);
        await wb.page.keyboard.press('Control+S');
        const saved = await wb
            .waitForFile(scorePy, (t) => t.includes(marker), 15_000)
            .then(() => true)
            .catch(() => false);
        if (saved) {
            return;
        }
        await wb.screenshot(`edit-attempt-${attempt}-missed`);
    }
    assert.fail(`the edit "${text}" was not saved`);
}

/** A screenshot the README shows, also copied into docs/screenshots/ (pointer out of the way). */
async function readmeScreenshot(label, name) {
    await workbench.page.mouse.move(1100, 750);
    await sleep(500);
    const file = await workbench.screenshot(label);
    if (fs.existsSync(file)) {
        fs.mkdirSync(README_SHOTS, { recursive: true });
        fs.copyFileSync(file, path.join(README_SHOTS, name));
    }
}

before(async () => {
    if (skip) {
        return;
    }
    workspace = copyWorkingProject();
    port = await freePort();
    debugPort = await freePort();
    settings = {
        'amldebug.baseImage': BASE_IMAGE,
        'amldebug.caBundle': 'auto',
        'amldebug.runtime': 'docker',
        'amldebug.port': port,
        'amldebug.debugPort': debugPort,
        'amldebug.containerName': CONTAINER,
        'amldebug.imageTag': IMAGE,
        'editor.autoClosingBrackets': 'never',
        'editor.autoClosingQuotes': 'never',
        'editor.autoIndent': 'none',
        'debug.toolBarLocation': 'floating',
    };
    workbench = new Workbench(workspace, 'debugger');
    workbench.installExtension(STANDIN_VSIX);
    // The settings go with the last install: each install rewrites the profile's settings.
    workbench.installExtension(ensureVsix(), settings);
    await workbench.start();
});

after(async () => {
    await workbench?.close();
    if (!skip) {
        execFileSync('docker', ['rm', '-f', CONTAINER], { stdio: 'ignore' });
        execFileSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
        console.log(`debugger e2e timings (s): ${JSON.stringify(timings)}`);
    }
});

test(
    'F5 with no container offers to start it; accepting ends stopped at the gutter breakpoint',
    { skip },
    async () => {
        const page = workbench.page;
        await workbench.statusBarMatching('Azure ML', 90_000);
        // launch.json as `amldebug up` or "Generate launch.json" leaves it.
        await workbench.runCommand('Azure ML: Generate launch.json');
        await workbench.waitForFile(path.join(workspace, '.vscode', 'launch.json'), (t) =>
            t.includes('Azure ML: Docker Debug'),
        );
        await workbench.dismissNotifications();
        await workbench.runCommand('View: Close All Editors').catch(() => undefined);
        await workbench.openFile('score.py');
        assert.ok((await setBreakpoint(workbench, BREAK_LINE)).includes(BREAK_LINE));
        await workbench.screenshot('breakpoint-set');

        let started = Date.now();
        await page.keyboard.press('F5');
        await workbench.notificationMatching(/no debug container is running/, 60_000);
        await workbench.screenshot('f5-offer-to-start');
        await workbench.clickNotificationButton('Start and Attach');
        await workbench.statusBarMatching(`ready on :${port}`, 420_000).catch(async (error) => {
            await workbench.screenshot('f5-start-failed');
            throw error;
        });
        await waitForAttached(page, 90_000);
        timings.f5ToAttached = (Date.now() - started) / 1000;
        await workbench.screenshot('f5-attached');

        started = Date.now();
        const request = postScore();
        await waitForStop(page).catch(async (error) => {
            await workbench.screenshot('no-stop');
            throw error;
        });
        timings.requestToStop = (Date.now() - started) / 1000;
        assert.equal(request.finished(), false, 'the request waits at the breakpoint');
        assert.deepEqual(await glyphLines(page, 'codicon-debug-stackframe'), [BREAK_LINE]);
        await expandLocals(page);
        const callStack = await panelText(page, '.debug-call-stack');
        const variables = await panelText(page, '.debug-variables');
        await readmeScreenshot('stopped-at-breakpoint', 'debugger-stopped.png');
        assert.match(callStack, /run/);
        assert.match(callStack, /score\.py/);
        // Our wrapper and launcher are hidden from the user's stack (item 4).
        assert.doesNotMatch(callStack, /amldebug_(launch|entry)/);
        assert.match(variables, /raw_data/);
        // The LOCAL score.py is the one open: one score.py tab, no read-only remote copy.
        assert.equal(
            await page
                .locator('.tabs-container .tab')
                .filter({ hasText: /^score\.py/ })
                .count(),
            1,
        );

        await page.keyboard.press('F10');
        await page.waitForFunction(
            () => /rows/.test(document.querySelector('.debug-variables')?.innerText ?? ''),
            null,
            { timeout: 20_000 },
        );
        assert.deepEqual(await glyphLines(page, 'codicon-debug-stackframe'), [BREAK_LINE + 1]);
        await page.keyboard.press('F5');
        assert.match(await request.done, /HTTP 200/);
    },
);

test(
    'edit + save: the next request stops at the breakpoint again, no F5, with the new code',
    { skip },
    async () => {
        const page = workbench.page;
        const saved = Date.now();
        await editAndSave(
            workbench,
            RETURN_LINE,
            'return {"predictions": predictions, "edited": 1}',
            '"edited": 1',
        );
        // The reload restarts the worker (and debugpy in it); the debugger comes back by itself.
        await waitForReattached(page);
        timings.saveToAttachedAgain = (Date.now() - saved) / 1000;
        const request = postScore();
        await waitForStop(page).catch(async (error) => {
            await workbench.screenshot('no-stop-after-save');
            throw error;
        });
        assert.deepEqual(await glyphLines(page, 'codicon-debug-stackframe'), [BREAK_LINE]);
        await readmeScreenshot('stopped-again-after-save', 'debugger-stopped-after-save.png');
        await page.keyboard.press('F5');
        const answer = await request.done;
        assert.match(answer, /HTTP 200/);
        assert.match(answer, /"edited": 1/);
    },
);

test('save while paused: the paused request still gets its answer', { skip }, async () => {
    const page = workbench.page;
    const request = postScore();
    await waitForStop(page);
    await editAndSave(
        workbench,
        RETURN_LINE,
        'return {"predictions": predictions, "edited": 2}',
        '"edited": 2',
    );
    await workbench.notificationMatching(/saved while stopped at a breakpoint/, 30_000);
    await workbench.screenshot('saved-while-paused');
    await sleep(2000);
    assert.equal(request.finished(), false, 'the paused request is still waiting, not dropped');
    await page.keyboard.press('F5'); // continue
    const answer = await request.done;
    assert.match(answer, /HTTP 200/);
    assert.match(answer, /"edited": 1/, 'the request answered with the code it started with');
    // Then the new code loads and the debugger is attached again.
    await waitForReattached(page);
    const next = postScore();
    await waitForStop(page);
    await page.keyboard.press('F5');
    assert.match(await next.done, /"edited": 2/);
});

/** Adds a conditional breakpoint or a logpoint at `line`: the glyph margin's context menu, as a
 * user does (the command palette when the menu does not show), then the inline widget. */
async function addSpecialBreakpoint(wb, line, menuLabel, text) {
    const page = wb.page;
    await wb.openFile('score.py');
    await wb.goToLine(line, 5);
    await sleep(500);
    const number = page
        .locator(
            '.editor-group-container.active .monaco-editor .margin-view-overlays .line-numbers',
        )
        .filter({ hasText: new RegExp(`^${line}$`) })
        .first();
    const box = await number.boundingBox();
    const margin = await page
        .locator('.editor-group-container.active .monaco-editor .margin')
        .first()
        .boundingBox();
    await page.mouse.click(margin.x + 9, box.y + box.height / 2, { button: 'right' });
    const item = page.locator('.context-view .action-label').filter({ hasText: menuLabel }).first();
    const shown = await item
        .waitFor({ state: 'visible', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
    if (shown) {
        await item.hover();
        await sleep(300);
        await item.click();
    } else {
        await page.keyboard.press('Escape');
        await wb.goToLine(line, 5);
        await wb.runCommand(`Debug: ${menuLabel}`, { keepSelection: true });
    }
    await page
        .locator('.breakpoint-widget')
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 })
        .catch(async (error) => {
            await wb.screenshot('no-breakpoint-widget');
            throw error;
        });
    // Type into the widget's own input, never into score.py under it.
    await page.locator('.breakpoint-widget .inputContainer').first().click();
    await sleep(500);
    await page.keyboard.insertText(text);
    await page.keyboard.press('Enter');
    await page
        .locator('.breakpoint-widget')
        .first()
        .waitFor({ state: 'hidden', timeout: 10_000 })
        .catch(() => undefined);
    await sleep(500);
}

test('a conditional breakpoint and a logpoint work through the same path', { skip }, async () => {
    const page = workbench.page;
    // The plain breakpoint goes (F9 on its line); a conditional one and a logpoint come.
    await workbench.openFile('score.py');
    await workbench.goToLine(BREAK_LINE, 5);
    await page.keyboard.press('F9');
    await sleep(500);
    assert.deepEqual(await glyphLines(page, 'codicon-debug-breakpoint'), []);
    // On run()'s first line: a condition on a comprehension's line would be evaluated in the
    // comprehension's own frame too.
    await addSpecialBreakpoint(
        workbench,
        BREAK_LINE,
        'Add Conditional Breakpoint...',
        'len(raw_data) > 35',
    );
    await addSpecialBreakpoint(
        workbench,
        RETURN_LINE,
        'Add Logpoint...',
        'amldebug-logpoint {len(predictions)} predictions',
    );
    await workbench.screenshot('conditional-breakpoint-and-logpoint');
    assert.doesNotMatch(fs.readFileSync(path.join(workspace, 'score.py'), 'utf8'), /logpoint/);
    assert.deepEqual(await glyphLines(page, 'codicon-debug-breakpoint-conditional'), [BREAK_LINE]);
    await page.waitForFunction(
        () => !document.querySelector('.monaco-editor .codicon-debug-breakpoint-unverified'),
        null,
        { timeout: 30_000 },
    );
    // One row: the condition is false, no stop; the logpoint still logs.
    const one = await postScore('{"data": [[1.0, 2.0, 3.0]]}').done;
    assert.match(one, /HTTP 200/);
    // Two rows: the condition holds, the request stops on that line.
    const two = postScore();
    await waitForStop(page);
    assert.deepEqual(await glyphLines(page, 'codicon-debug-stackframe'), [BREAK_LINE]);
    await workbench.screenshot('stopped-on-condition');
    await continueRun(page);
    assert.match(await two.done, /HTTP 200/);
    await workbench.runCommand('Debug Console: Focus on Debug Console View').catch(() => undefined);
    await page.waitForFunction(
        () =>
            /amldebug-logpoint 2 predictions/.test(
                document.querySelector('.repl')?.innerText ?? '',
            ),
        null,
        { timeout: 20_000 },
    );
    const repl = await panelText(page, '.repl');
    await workbench.screenshot('logpoint-output');
    assert.match(repl, /amldebug-logpoint 1 predictions/);
    assert.match(repl, /amldebug-logpoint 2 predictions/);
    await page.keyboard.press('Shift+F5');
});

test(
    'without any debugpy extension, "Debug in Container" still stops at the breakpoint',
    { skip },
    async () => {
        await workbench.close();
        workspace = copyWorkingProject(); // the first workbench's copy went with it
        workbench = new Workbench(workspace, 'debugger-no-debugpy');
        workbench.installExtension(ensureVsix(), settings);
        await workbench.start();
        const page = workbench.page;
        await workbench.statusBarMatching('Azure ML', 90_000);
        await workbench.openFile('score.py');
        assert.ok((await setBreakpoint(workbench, BREAK_LINE)).includes(BREAK_LINE));
        await workbench.runCommand('Azure ML: Debug in Container');
        // The install is offered, and our own debug type attaches meanwhile.
        await workbench.notificationMatching(/Python Debugger extension/, 60_000);
        await workbench.statusBarMatching(`ready on :${port}`, 420_000);
        await waitForAttached(page, 90_000);
        const request = postScore();
        await waitForStop(page);
        assert.deepEqual(await glyphLines(page, 'codicon-debug-stackframe'), [BREAK_LINE]);
        await workbench.screenshot('no-debugpy-stopped');
        await page.keyboard.press('F5');
        assert.match(await request.done, /HTTP 200/);
    },
);
