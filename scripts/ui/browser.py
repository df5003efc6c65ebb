"""Shared by the web page's browser test and its benchmark: a `tapelib serve` on a free port,
the API called as the page calls it, and Debian's chromium driven headless through
chromium-driver (selenium)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BIN = os.environ.get("BIN", ".build/debug/tapelib")
PASSWORD = "ui-test-password"
# Generous bounds: the tests wait for events (a page painted, a task ended), never a guessed time.
WAIT = float(os.environ.get("UI_WAIT", "120"))


class Server:
    """`tapelib serve --sim PROFILE` on a free loopback port with its own state directory."""

    def __init__(self, profile):
        self.work = tempfile.mkdtemp(prefix=f"tapelib-ui-{profile}-")
        self.log = open(os.path.join(self.work, "serve.log"), "w+")
        env = dict(os.environ, TAPELIB_ADMIN_PASSWORD=PASSWORD)
        self.process = subprocess.Popen(
            [BIN, "serve", "--sim", profile, "--state-dir", os.path.join(self.work, "state"),
             "--port", "0", "--queue-poll", "0.2"], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.base = None
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.base is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"tapelib serve exited:\n{self.log_text()}")
            match = re.search(r"API listening on http://[^ ]*:(\d+)$", self.log_text(), re.M)
            if match:
                self.base = f"http://127.0.0.1:{match.group(1)}"
            else:
                time.sleep(0.1)
        if self.base is None:
            raise RuntimeError(f"the API did not start:\n{self.log_text()}")
        self.session = self.login("admin", PASSWORD)

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def login(self, user, password):
        answer = self.request("POST", "/api/v1/auth/login", {"rubackup_user": user, "password": password}, auth=False)
        return answer["data"]["access_token"], answer["data"]["csrf_token"]

    def request(self, method, path, body=None, auth=True, session=None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        if auth:
            token, csrf = session or self.session
            request.add_header("Authorization", f"Bearer {token}")
            request.add_header("X-CSRF-TOKEN", csrf)
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b"null") | {"status": error.code}

    def all(self, path):
        """Every row of a list."""
        rows, page = [], 1
        while True:
            separator = "&" if "?" in path else "?"
            data = self.request("GET", f"{path}{separator}limit=1000&page={page}")["data"]
            rows += data
            if len(data) < 1000:
                return rows
            page += 1

    def wait_for_task(self, task_id):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            task = self.request("GET", f"/api/v1/tl_task_queue/{task_id}")["data"]
            if task["status"] in ("done", "error", "killed", "broken", "obsoleted"):
                return task
            time.sleep(0.1)
        raise AssertionError(f"task {task_id} did not end")

    def wait_until_synced(self):
        """The start-up sync has run (the map shows the library as it is)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            libraries = self.request("GET", "/api/v1/tape_libraries")["data"]
            if libraries and libraries[0].get("sync_state") == "synced":
                return libraries[0]
            time.sleep(0.1)
        raise AssertionError("the library was never synced")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()


def browser(width=1400, height=1000):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}"]:
        options.add_argument(argument)
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


def wait(driver, condition, what, timeout=WAIT):
    try:
        # The page updates what changed while it is read: an element replaced meanwhile is read again.
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException, NoSuchElementException]).until(condition)
    except Exception as error:
        raise AssertionError(f"waited {timeout} s for {what}") from error


def sign_in(driver, base, user, password):
    driver.get(base + "/")
    wait(driver, lambda d: d.find_element(By.ID, "signin-user").is_displayed(), "the sign-in form")
    driver.find_element(By.ID, "signin-user").send_keys(user)
    driver.find_element(By.ID, "signin-password").send_keys(password)
    driver.find_element(By.ID, "signin-submit").click()
    wait(driver, lambda d: d.execute_script("return document.body.dataset.painted") == "map", "the map painted")
