// Drives a real VS Code (code-server 4.100.3) in headless Chromium for the extension's end-to-end
// tests: a fresh profile with the built VSIX installed, a copy of a fixture workspace, and helpers
// that wait generously, because CI runs these unattended on a 2-core machine.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const CODE_SERVER =
    process.env.CODE_SERVER ??
    path.join(
        process.env.CODE_SERVER_PREFIX ?? '/opt/amldebug-code-server',
        'node_modules',
        '.bin',
        'code-server',
    );
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'e2e');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
        server.on('error', reject);
    });
}

/** The VSIX to test: $AMLDEBUG_VSIX, else amldebug.vsix at the root (built when missing). */
export function ensureVsix() {
    const vsix = process.env.AMLDEBUG_VSIX ?? path.join(REPO_ROOT, 'amldebug.vsix');
    if (!fs.existsSync(vsix)) {
        execFileSync('npm', ['run', 'package'], { cwd: REPO_ROOT, stdio: 'inherit' });
    }
    return vsix;
}

export function copyFixture(name) {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), `amldebug-e2e-${name}-`));
    fs.cpSync(path.join(REPO_ROOT, 'tests', 'e2e', 'fixtures', name), workspace, {
        recursive: true,
    });
    return workspace;
}

const USER_SETTINGS = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'editor.minimap.enabled': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
};

export class Workbench {
    /**
     * `trusted: false` opens the folder in Restricted Mode, without the trust prompt. `workspace`
     * is a folder or a `.code-workspace` file (a multi-root workspace). `port`: a fixed port (a
     * test file's own range) instead of any free one.
     */
    constructor(workspace, name, { trusted = true, port } = {}) {
        this.trusted = trusted;
        this.fixedPort = port;
        this.workspace = workspace;
        // Prefixes screenshots and names the copied logs, so several test files can share a folder.
        this.name = name;
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'amldebug-code-server-'));
        this.userDataDir = path.join(this.root, 'user-data');
        this.extensionsDir = path.join(this.root, 'extensions');
        this.log = path.join(this.root, 'code-server.log');
        this.shot = 0;
    }

    codeServerArgs() {
        return ['--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
    }

    /** Installs the VSIX into this profile; `settings` go into the profile's user settings. */
    installExtension(vsix, settings = {}) {
        const output = execFileSync(
            CODE_SERVER,
            [...this.codeServerArgs(), '--install-extension', vsix],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
        fs.mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
        fs.writeFileSync(
            path.join(this.userDataDir, 'User', 'settings.json'),
            JSON.stringify(
                this.trusted
                    ? { ...USER_SETTINGS, ...settings }
                    : {
                          ...USER_SETTINGS,
                          ...settings,
                          'security.workspace.trust.enabled': true,
                          'security.workspace.trust.startupPrompt': 'never',
                      },
                null,
                2,
            ),
        );
        return output;
    }

    async start() {
        this.port = this.fixedPort ?? (await freePort());
        const logFile = fs.openSync(this.log, 'a');
        this.process = spawn(
            CODE_SERVER,
            [
                ...this.codeServerArgs(),
                '--auth',
                'none',
                '--bind-addr',
                `127.0.0.1:${this.port}`,
                '--disable-telemetry',
                '--disable-update-check',
                ...(this.trusted ? ['--disable-workspace-trust'] : []),
                '--disable-getting-started-override',
                this.workspace,
            ],
            { stdio: ['ignore', logFile, logFile], detached: true },
        );
        await this.waitForHttp(`http://127.0.0.1:${this.port}/healthz`, 60_000);
        this.browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            args: [
                '--no-sandbox',
                '--disable-gpu',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
                '--no-first-run',
            ],
        });
        this.page = await this.browser.newPage({ viewport: { width: 1600, height: 1000 } });
        await this.openWorkbench();
    }

    async waitForHttp(url, timeout) {
        const deadline = Date.now() + timeout;
        while (Date.now() < deadline) {
            try {
                const response = await fetch(url);
                if (response.ok) {
                    return;
                }
            } catch {
                // Not listening yet.
            }
            await sleep(250);
        }
        throw new Error(`${url} did not answer within ${timeout} ms; see ${this.log}`);
    }

    /** Loads the workbench, reloading up to three times when it does not come up. */
    async openWorkbench() {
        const kind = this.workspace.endsWith('.code-workspace') ? 'workspace' : 'folder';
        const url = `http://127.0.0.1:${this.port}/?${kind}=${encodeURIComponent(this.workspace)}`;
        let lastError;
        for (let attempt = 1; attempt <= 3; attempt++) {
            try {
                await this.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
                await this.page.waitForSelector('.monaco-workbench .part.editor', {
                    timeout: 60_000,
                });
                await this.page.waitForSelector('.part.statusbar', { timeout: 30_000 });
                return;
            } catch (error) {
                lastError = error;
                await this.screenshot(`workbench-load-attempt-${attempt}`);
            }
        }
        throw lastError;
    }

    async screenshot(name) {
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        this.shot += 1;
        const file = path.join(
            SCREENSHOTS,
            `${this.name}-${String(this.shot).padStart(2, '0')}-${name}.png`,
        );
        await this.page.screenshot({ path: file }).catch(() => undefined);
        return file;
    }

    async dismissNotifications() {
        await this.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    }

    /**
     * Runs a command palette entry by its full title ("Azure ML: Generate launch.json").
     * `keepSelection`: skip the Escape that closes stray widgets, because in an editor it also
     * clears the selection the command is meant to read.
     */
    async runCommand(title, { keepSelection = false } = {}) {
        const page = this.page;
        for (let attempt = 1; attempt <= 3; attempt++) {
            if (!keepSelection) {
                await page.keyboard.press('Escape');
            }
            await page.keyboard.press('F1');
            const input = page.locator('.quick-input-widget input');
            try {
                await input.waitFor({ state: 'visible', timeout: 10_000 });
                await input.fill(`>${title}`);
                const row = page
                    .locator('.quick-input-widget .monaco-list-row')
                    .filter({ hasText: title })
                    .first();
                await row.waitFor({ state: 'visible', timeout: 15_000 });
                await row.click();
                return;
            } catch (error) {
                if (attempt === 3) {
                    throw error;
                }
                await sleep(2000);
            }
        }
    }

    /** Opens a workspace file through Quick Open. */
    async openFile(relativePath) {
        const page = this.page;
        const name = path.basename(relativePath);
        const exactName = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
        // A top-level file: click it in the Explorer, which does not reorder under the pointer.
        const explorerRow = page
            .locator('.explorer-folders-view .monaco-list-row')
            .filter({ has: page.locator('.label-name', { hasText: exactName }) })
            .first();
        if (!relativePath.includes('/') && (await explorerRow.isVisible().catch(() => false))) {
            await explorerRow.click();
            const opened = await page
                .locator('.tabs-container .tab.active')
                .filter({ has: page.locator('.label-name', { hasText: exactName }) })
                .first()
                .waitFor({ state: 'visible', timeout: 10_000 })
                .then(() => true)
                .catch(() => false);
            if (opened) {
                await page.locator('.monaco-editor .view-lines').first().waitFor();
                return;
            }
        }
        for (let attempt = 1; attempt <= 3; attempt++) {
            await page.keyboard.press('Escape');
            await page.keyboard.press('Control+P');
            const input = page.locator('.quick-input-widget input');
            try {
                await input.waitFor({ state: 'visible', timeout: 10_000 });
                await input.fill(relativePath);
                // The row whose label is exactly the file's name (not score.cpython-311.pyc).
                let row = page
                    .locator('.quick-input-widget .monaco-list-row')
                    .filter({ has: page.locator('.label-name', { hasText: exactName }) })
                    .first();
                await row.waitFor({ state: 'visible', timeout: 15_000 });
                // Two files of one name in a multi-root workspace (a/deploy/score.py and
                // b/deploy/score.py): the recently opened one heads the list before the file
                // results arrive, so wait for the row whose description names this file's folder
                // ("score.py b • deploy, file results").
                const folders = path.dirname(relativePath).split('/').filter(Boolean);
                if (folders.length >= 2) {
                    const where = `${name} ${folders.at(-2)} • ${folders.at(-1)}`;
                    const precise = page
                        .locator(`.quick-input-widget .monaco-list-row[aria-label^="${where}"]`)
                        .first();
                    if (
                        await precise
                            .waitFor({ state: 'visible', timeout: 5_000 })
                            .then(() => true)
                            .catch(() => false)
                    ) {
                        row = precise;
                    }
                }
                // Click the row that names the file: Enter could take a recently opened file that
                // heads the list before the filter applies.
                await row.click();
                // Any visible tab of that name will do: the file may open in a side group.
                await page
                    .locator('.tabs-container .tab')
                    .filter({ hasText: name })
                    .first()
                    .waitFor({ state: 'visible', timeout: 15_000 });
                await page.locator('.monaco-editor .view-lines').first().waitFor();
                return;
            } catch (error) {
                await this.screenshot(`open-${name}-attempt-${attempt}-failed`);
                if (attempt === 3) {
                    throw error;
                }
                await sleep(2000);
            }
        }
    }

    async goToLine(line, column) {
        await this.runCommand('Go to Line/Column...');
        await this.page.keyboard.type(`${line}:${column}`);
        await this.page.keyboard.press('Enter');
    }

    /** Text of the Problems panel once it shows `expected` (a substring), or throws. */
    async problemsShowing(expected, timeout = 120_000) {
        await this.runCommand('View: Focus Problems');
        const panel = this.page.locator('.markers-panel');
        await panel.waitFor({ state: 'visible', timeout: 30_000 });
        await this.page.waitForFunction(
            (text) => document.querySelector('.markers-panel')?.textContent?.includes(text),
            expected,
            { timeout, polling: 500 },
        );
        return panel.innerText();
    }

    /** Applies the code action titled like `titlePattern` at the cursor. */
    async applyQuickFix(titlePattern) {
        const page = this.page;
        for (let attempt = 1; attempt <= 3; attempt++) {
            await page.keyboard.press('Escape');
            await this.runCommand('Quick Fix...');
            const item = page
                .locator('.action-widget .monaco-list-row, .context-view .action-item')
                .filter({ hasText: titlePattern })
                .first();
            try {
                await item.waitFor({ state: 'visible', timeout: 15_000 });
                await this.screenshot('quick-fix-menu');
                // The widget puts a pointer-blocking layer over the editor, so choose by keyboard:
                // move the focus down the list until it is on the wanted action, then Enter.
                const focused = page.locator('.action-widget .monaco-list-row.focused');
                for (let step = 0; step < 20; step++) {
                    const label = (await focused.first().getAttribute('aria-label')) ?? '';
                    if (titlePattern.test(label)) {
                        break;
                    }
                    await page.keyboard.press('ArrowDown');
                }
                await page.keyboard.press('Enter');
                await item.waitFor({ state: 'hidden', timeout: 10_000 });
                return;
            } catch (error) {
                if (attempt === 3) {
                    throw error;
                }
                await sleep(3000);
            }
        }
    }

    /** The text of the first visible editor whose text matches `pattern`, once one does. */
    async editorTextMatching(pattern, timeout = 60_000) {
        // Monaco renders only the lines in view, reuses their elements out of order (each has its
        // own `top`), and renders spaces as no-break spaces.
        const handle = await this.page.waitForFunction(
            ({ source, flags }) => {
                const wanted = new RegExp(source, flags);
                const textOf = (lines) =>
                    [...lines.querySelectorAll(':scope > .view-line')]
                        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
                        .map((line) => line.textContent.replace(/\u00a0/g, ' '))
                        .join('\n');
                return (
                    [...document.querySelectorAll('.editor-instance .view-lines')]
                        .map(textOf)
                        .find((text) => wanted.test(text)) ?? false
                );
            },
            { source: pattern.source, flags: pattern.flags },
            { timeout, polling: 500 },
        );
        return handle.jsonValue();
    }

    /** The text of a notification toast matching `pattern`, once one shows. */
    async notificationMatching(pattern, timeout = 60_000) {
        const handle = await this.page.waitForFunction(
            ({ source, flags }) => {
                const wanted = new RegExp(source, flags);
                return (
                    [...document.querySelectorAll('.notification-toast')]
                        .map((e) => e.textContent)
                        .find((text) => wanted.test(text)) ?? false
                );
            },
            { source: pattern.source, flags: pattern.flags },
            { timeout, polling: 500 },
        );
        return handle.jsonValue();
    }

    /** Clicks the button labelled `label` on the notification toast that offers it. */
    async clickNotificationButton(label, timeout = 60_000) {
        const button = this.page
            .locator('.notification-toast .monaco-button')
            .filter({ hasText: label })
            .first();
        await button.waitFor({ state: 'visible', timeout });
        await button.click();
    }

    /** Answers the input box whose prompt contains `prompt` with `value`. */
    async answerInputBox(prompt, value, timeout = 30_000) {
        const widget = this.page.locator('.quick-input-widget');
        await widget.filter({ hasText: prompt }).waitFor({ state: 'visible', timeout });
        const input = widget.locator('input').first();
        await input.fill(String(value));
        await this.page.keyboard.press('Enter');
    }

    /** Picks the quick pick row whose label contains `label`. */
    async pickQuickPickItem(label, timeout = 30_000) {
        const row = this.page
            .locator('.quick-input-widget .monaco-list-row')
            .filter({ hasText: label })
            .first();
        await row.waitFor({ state: 'visible', timeout });
        await row.click();
    }

    /** Text of the status bar's Azure ML item once it matches `pattern`. */
    async statusBarMatching(pattern, timeout = 60_000) {
        const item = this.page
            .locator('.part.statusbar .statusbar-item')
            .filter({ hasText: pattern })
            .first();
        await item.waitFor({ state: 'visible', timeout });
        return item.innerText();
    }

    async waitForFile(file, predicate, timeout = 60_000) {
        const deadline = Date.now() + timeout;
        let text = '';
        while (Date.now() < deadline) {
            text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
            if (text && predicate(text)) {
                return text;
            }
            await sleep(500);
        }
        throw new Error(`${file} never matched; last content:\n${text}`);
    }

    /** Keeps the editor's logs (extension host, output channels) next to the screenshots. */
    keepLogs() {
        const logs = path.join(this.userDataDir, 'logs');
        if (fs.existsSync(logs)) {
            const target = path.join(SCREENSHOTS, `${this.name}-logs`);
            fs.rmSync(target, { recursive: true, force: true });
            fs.cpSync(logs, target, { recursive: true });
            if (fs.existsSync(this.log)) {
                fs.copyFileSync(this.log, path.join(target, 'code-server.log'));
            }
        }
    }

    async close() {
        this.keepLogs();
        await this.browser?.close().catch(() => undefined);
        if (this.process?.pid) {
            try {
                process.kill(-this.process.pid, 'SIGTERM');
            } catch {
                // Already gone.
            }
        }
        // The profile and the workspace copy are per run; the logs were kept above.
        fs.rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
        fs.rmSync(this.workspace, { recursive: true, force: true, maxRetries: 3 });
    }
}
