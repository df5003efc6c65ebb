"""`make test`, the web page in a real browser (Debian's chromium, headless, through
chromium-driver): sign in against `tapelib serve --sim midsize`, see every slot and barcode,
search a barcode, move a cartridge to an empty slot and watch the task end and the map follow,
erase one after a confirmation naming it, keyboard navigation, a description holding markup
shown as text, a supervisor without action buttons, sign out. Screenshots of the midsize and
the large map go to OUT (the build folder)."""
import os
import re
import sys
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from browser import PASSWORD, Server, browser, sign_in, wait

OUT = os.environ.get("OUT", ".build/ui-screenshots")
checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


def cells(driver, selector="#map .slot, #mailslots .slot"):
    """The cells as the page shows them now, read in one step (the page updates cells in place)."""
    rows = driver.execute_script("""
        return [...document.querySelectorAll(arguments[0])].map((c) => ({address: Number(c.dataset.address),
            tag: c.dataset.volumeTag, state: c.dataset.state, cls: c.className, text: c.innerText}));""", selector)
    return {row["address"]: row for row in rows}


def cell_tag(driver, address):
    return driver.execute_script(
        "const c = document.querySelector(`.slot[data-address='${arguments[0]}']`); return c ? c.dataset.volumeTag : null;", address)


def midsize(driver):
    server = Server("midsize")
    try:
        server.wait_until_synced()
        library = 1
        slots = server.all(f'/api/v1/library_slots?filter_data=library_id="{library}"')
        storage = [s for s in slots if s["kind"] == "storage"]
        mail = [s for s in slots if s["kind"] == "import_export"]
        # A cartridge whose description is markup: it must show as text and run nothing.
        victim = next(s for s in storage if s["full"])
        cartridge = server.all(f'/api/v1/tape_cartridges?filter_data=volume_tag="{victim["volume_tag"]}"')[0]
        evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
        answer = server.request("PATCH", f"/api/v1/tape_cartridges/{cartridge['id']}", {"data": {"description": evil}})
        check(not answer.get("is_error"), f"description set: {answer}")
        # A supervisor, to see the page without actions.
        answer = server.request("POST", "/api/v1/users", {"data": {"name": "watcher", "password": "watcher-password-1", "roles": ["supervisor"]}})
        check(not answer.get("is_error"), f"supervisor created: {answer}")

        # A sync job run now; its execution is looked at later.
        job = server.request("POST", "/api/v1/scheduled_jobs", {"data": {"name": "nightly sync", "kind": "library_sync",
                                                                      "library_id": library, "interval_hours": 24}})
        check(not job.get("is_error"), f"job created: {job}")
        job_run = server.request("POST", f"/api/v1/scheduled_jobs/{job['data']['id']}/executions")

        # The page itself: small, no inline script, a Content-Security-Policy without 'unsafe-inline'.
        total = 0
        for path in ["/", "/ui/app.js", "/ui/app.css"]:
            with urllib.request.urlopen(server.base + path, timeout=60) as response:
                body = response.read()
                total += len(body)
                policy = response.headers.get("Content-Security-Policy", "")
                check("default-src 'self'" in policy and "unsafe-inline" not in policy, f"{path}: CSP {policy!r}")
                if path == "/":
                    check(not re.search(rb"<script(?![^>]*\bsrc=)", body), "no inline script in the page")
        check(total < 200 * 1024, f"page, script and styles: {total} bytes (under 200 KB)")
        print(f"ui-test: page, script and styles: {total} bytes uncompressed")

        sign_in(driver, server.base, "admin", PASSWORD)
        check(driver.find_element(By.ID, "whoami").text.startswith("admin"), "signed in as admin")

        # Every slot of the library, each with its barcode, as the catalog holds them.
        shown = cells(driver)
        check(len(shown) == len(storage) + len(mail), f"{len(shown)} cells for {len(storage) + len(mail)} slots")
        for slot in storage + mail:
            cell = shown[slot["element_address"]]
            check(cell["tag"] == (slot.get("volume_tag") or ""), f"element {slot['element_address']} barcode")
            if slot.get("volume_tag"):
                check(slot["volume_tag"] in cell["text"], f"barcode {slot['volume_tag']} visible in its cell")
            check(f"st-{cell['state']}" in cell["cls"], "state class and label agree")
        drive_cards = driver.find_elements(By.CSS_SELECTOR, ".drive")
        drives = server.all(f'/api/v1/library_tape_drives?filter_data=library_id="{library}"')
        check(len(drive_cards) == len(drives), "one card per drive")
        os.makedirs(OUT, exist_ok=True)
        driver.set_window_size(1400, 1250)
        driver.save_screenshot(os.path.join(OUT, "map-midsize.png"))
        # 200% zoom on a 1400-pixel window lays out as 700 CSS pixels: nothing may need a sideways scroll.
        driver.set_window_size(700, 1000)
        wait(driver, lambda d: d.execute_script("return window.innerWidth") <= 700, "the narrow window")
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        check(overflow <= 0, f"at 700 CSS pixels the page is {overflow} px wider than the window")
        driver.set_window_size(1400, 1000)
        # Keyboard: Tab from the barcode field reaches Find, then the library's actions.
        driver.find_element(By.ID, "search-barcode").click()
        reached = []
        for _ in range(3):
            driver.switch_to.active_element.send_keys(Keys.TAB)
            reached.append(driver.switch_to.active_element.get_attribute("id"))
        check(reached == ["search-go", "action-sync", "action-import"], f"Tab order {reached}")

        # Search: the barcode's cell is marked and focused.
        target = storage[len(storage) // 2]
        if not target["full"]:
            target = next(s for s in reversed(storage) if s["full"])
        box = driver.find_element(By.ID, "search-barcode")
        box.clear()
        box.send_keys(target["volume_tag"], Keys.ENTER)
        wait(driver, lambda d: d.execute_script("return document.activeElement && document.activeElement.dataset.volumeTag")
             == target["volume_tag"], "the found cell focused")
        found = driver.find_element(By.CSS_SELECTOR, ".slot.found")
        check(int(found.get_attribute("data-address")) == target["element_address"], "the found cell is the barcode's slot")
        # Keyboard: arrow right moves the focus to the next element.
        driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
        focused = driver.switch_to.active_element.get_attribute("data-address")
        check(int(focused) == target["element_address"] + 1, f"arrow right from {target['element_address']} focused {focused}")
        # An unknown barcode is said to be nowhere.
        box.clear()
        box.send_keys("NOSUCH99", Keys.ENTER)
        wait(driver, lambda d: "NOSUCH99" in d.find_element(By.ID, "notice").text, "the not-found notice")

        # Move a cartridge to an empty slot: the task ends done and the map follows.
        source = next(s for s in storage if s["full"])
        empty = next(s for s in storage if not s["full"])
        driver.find_element(By.CSS_SELECTOR, f".slot[data-address='{source['element_address']}']").click()
        wait(driver, lambda d: d.find_element(By.ID, "selected").is_displayed(), "the selected cartridge's panel")
        check(source["volume_tag"] in driver.find_element(By.ID, "selected-title").text, "the panel names the cartridge")
        Select(driver.find_element(By.ID, "move-target")).select_by_value(str(empty["id"]))
        driver.find_element(By.ID, "act-move").click()
        wait(driver, lambda d: "TASK WAS ADDED TO QUEUE" in d.find_element(By.ID, "notice").text
             or "done" in d.find_element(By.ID, "notice").text, "the move queued")
        wait(driver, lambda d: cell_tag(d, empty["element_address"]) == source["volume_tag"]
             and cell_tag(d, source["element_address"]) == "", "the map showing the cartridge moved")
        moves = server.request("GET", '/api/v1/tl_task_queue?filter_data=type="move"&sort=id&direction=desc&limit=1')["data"]
        check(moves and moves[0]["status"] == "done", f"the move task is done: {moves}")
        moved = server.all(f'/api/v1/library_slots?filter_data=library_id="{library}",element_address="{empty["element_address"]}"')[0]
        check(moved["volume_tag"] == source["volume_tag"], "the catalog agrees with the page")
        wait(driver, lambda d: any(r.get_attribute("data-status") == "done" and "move" in r.text
                                   for r in d.find_elements(By.CSS_SELECTOR, "#recent-tasks .task")), "the move done in the task list")

        # A move the API refuses (to a full slot is not offered; a cartridge in a task is): the message shows.
        # Erase: the confirmation names the barcode; the task runs to done.
        erased = next(s for s in storage if s["full"] and s["element_address"] != source["element_address"]
                      and s["volume_tag"].endswith(("L8", "L9")))
        driver.find_element(By.CSS_SELECTOR, f".slot[data-address='{erased['element_address']}']").click()
        wait(driver, lambda d: erased["volume_tag"] in d.find_element(By.ID, "selected-title").text, "the erase target selected")
        driver.find_element(By.ID, "act-erase").click()
        wait(driver, lambda d: d.find_element(By.ID, "confirm").is_displayed(), "the confirmation")
        check(erased["volume_tag"] in driver.find_element(By.ID, "confirm-text").text, "the confirmation names the barcode")
        driver.find_element(By.ID, "confirm-yes").click()
        wait(driver, lambda d: "TASK WAS ADDED TO QUEUE" in d.find_element(By.ID, "notice").text, "the erase queued")
        wait(driver, lambda d: "erase) done" in d.find_element(By.ID, "notice").text, "the erase done", timeout=300)
        erases = server.request("GET", '/api/v1/tl_task_queue?filter_data=type="erase"&sort=id&direction=desc&limit=1')["data"]
        check(erases and erases[0]["status"] == "done", f"the erase task is done: {erases}")

        # Cancelling the confirmation queues nothing.
        queued_before = len(server.all("/api/v1/tl_task_queue"))
        driver.find_element(By.ID, "act-erase-long").click()
        wait(driver, lambda d: d.find_element(By.ID, "confirm").is_displayed(), "the long erase's confirmation")
        check(erased["volume_tag"] in driver.find_element(By.ID, "confirm-text").text, "it names the barcode")
        driver.find_element(By.ID, "confirm-no").click()
        wait(driver, lambda d: not d.find_element(By.ID, "confirm").is_displayed(), "the confirmation closed")
        check(len(server.all("/api/v1/tl_task_queue")) == queued_before, "a cancelled erase queues no task")

        # A refused action shows the API's message (service mode refuses hardware tasks).
        answer = server.request("PATCH", "/api/v1/global_configuration/service_mode", {"service_mode": True})
        check(not answer.get("is_error"), f"service mode on: {answer}")
        driver.find_element(By.ID, "action-sync").click()
        wait(driver, lambda d: "refused" in d.find_element(By.ID, "notice").text
             and "service mode" in d.find_element(By.ID, "notice").text, "the refusal with the API's message")
        check("error" in driver.find_element(By.ID, "notice").get_attribute("class"), "shown as an error")
        server.request("PATCH", "/api/v1/global_configuration/service_mode", {"service_mode": False})

        # The cartridge with markup in its description: shown as text, nothing ran.
        driver.get(server.base + f"/#/cartridge/{cartridge['id']}")
        wait(driver, lambda d: victim["volume_tag"] in d.find_element(By.ID, "cartridge-title").text, "the cartridge page")
        facts = driver.find_element(By.ID, "cartridge-facts").text
        check(evil in facts, "the description shows as text")
        check(driver.execute_script("return window.__xss === undefined"), "no script from the catalog ran")
        check(not driver.find_elements(By.CSS_SELECTOR, "#cartridge-facts img, #cartridge-facts script"), "no element from the description")

        # The task page: progress bars and controls. An unload of an empty drive fails; Restart
        # runs it again as attempt 2.
        failed = server.request("PATCH", "/api/v1/library_tape_drives/1/unload")["data"]["task_ids"][0]
        check(server.wait_for_task(failed)["status"] == "error", "the unload of an empty drive failed")
        driver.find_element(By.ID, "nav-tasks").click()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tasks-table .task-row")) >= 3, "the task table")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#tasks-table progress")) >= 3, "progress bars")
        row = f"#tasks-table .task-row[data-task-id='{failed}']"
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-status") == "error", "the failed task shown")
        check(not driver.find_element(By.CSS_SELECTOR, row + " .c-kill").is_displayed(), "no kill for an ended task")
        driver.find_element(By.CSS_SELECTOR, row + " .c-restart").click()
        wait(driver, lambda d: server.request("GET", f"/api/v1/tl_task_queue/{failed}")["data"].get("attempt") == 2,
             "the task restarted as attempt 2")
        check(server.wait_for_task(failed)["status"] == "error", "attempt 2 ended")
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-status") == "error"
             and d.find_element(By.CSS_SELECTOR, row + " .c-restart").is_displayed(), "the row updated in place")

        # Scheduled jobs: the sync job run at the start, its execution (settled by the scheduler's
        # tick), the job log and its status filter.
        check(server.wait_for_task(job_run["data"]["task_ids"][0])["status"] == "done", "the job's sync done")
        deadline = time.monotonic() + 120
        while server.request("GET", f"/api/v1/scheduled_jobs/{job['data']['id']}/executions")["data"][0]["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise AssertionError("the job's execution never settled")
            time.sleep(0.2)
        driver.find_element(By.ID, "nav-jobs").click()
        wait(driver, lambda d: "nightly sync" in d.find_element(By.ID, "jobs-table").text, "the job listed")
        wait(driver, lambda d: "nightly sync" in d.find_element(By.ID, "joblog-table").text
             or not d.find_element(By.ID, "nav-jobs").click(), "the job log lists its execution")
        driver.find_element(By.CSS_SELECTOR, "#jobs-table button").click()
        wait(driver, lambda d: "SUCCESS" in d.find_element(By.ID, "executions-table").text, "the execution's status")
        Select(driver.find_element(By.ID, "joblog-status")).select_by_value("FAILED")
        driver.find_element(By.CSS_SELECTOR, "#joblog-form button").click()
        wait(driver, lambda d: "nightly sync" not in d.find_element(By.ID, "joblog-table").text, "FAILED hides the successful run")

        # Signed out and in again in another tab: the browser's cookies are a new session's, and
        # this tab goes on with that session's CSRF token (the session is the browser's, not the
        # tab's) instead of being refused.
        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(server.base + "/")
        wait(driver, lambda d: d.execute_script("return document.body.dataset.painted") == "map", "the other tab signed in already")
        driver.find_element(By.ID, "signout").click()
        wait(driver, lambda d: d.find_element(By.ID, "signin-user").is_displayed(), "the other tab signed out")
        sign_in_form = driver.find_element(By.ID, "signin-user")
        sign_in_form.send_keys("admin")
        driver.find_element(By.ID, "signin-password").send_keys(PASSWORD)
        driver.find_element(By.ID, "signin-submit").click()
        wait(driver, lambda d: d.execute_script("return localStorage.getItem('tapelib.user')") == "admin"
             and not d.find_element(By.ID, "signin-user").is_displayed(), "the other tab signed in again")
        driver.close()
        driver.switch_to.window(first)
        Select(driver.find_element(By.ID, "joblog-status")).select_by_value("SUCCESS")
        driver.find_element(By.CSS_SELECTOR, "#joblog-form button").click()
        wait(driver, lambda d: "nightly sync" in d.find_element(By.ID, "joblog-table").text, "the job log read with the new session")
        box = driver.find_element(By.ID, "notice")
        check(not (box.is_displayed() and "error" in (box.get_attribute("class") or "")), f"no refusal in the first tab: {box.text}")

        # Sign out: the sign-in form again, and the cookie no longer opens the API.
        driver.find_element(By.ID, "signout").click()
        wait(driver, lambda d: d.find_element(By.ID, "signin-user").is_displayed(), "the sign-in form after sign-out")
        status = driver.execute_script(
            "return fetch('/api/v1/tape_libraries', {credentials: 'same-origin'}).then((r) => r.status);")
        check(status == 401, f"after sign-out the API answers {status}")

        # A supervisor sees the library but no action.
        sign_in(driver, server.base, "watcher", "watcher-password-1")
        check(len(cells(driver)) == len(storage) + len(mail), "the supervisor sees every slot")
        for selector in ["#action-sync", "#action-import", ".act-clean"]:
            for element in driver.find_elements(By.CSS_SELECTOR, selector):
                check(not element.is_displayed(), f"{selector} hidden from a supervisor")
        driver.find_element(By.CSS_SELECTOR, "#map .slot.st-scratch, #map .slot.st-data").click()
        check(not driver.find_element(By.ID, "act-erase").is_displayed(), "no erase for a supervisor")
        driver.find_element(By.ID, "signout").click()
        wait(driver, lambda d: d.find_element(By.ID, "signin-user").is_displayed(), "signed out")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
                  and "401" not in e["message"] and "Failed to load resource" not in e["message"]]
        check(not errors, f"no script error in the console: {errors}")
    finally:
        server.stop()


def large(driver):
    server = Server("large")
    try:
        server.wait_until_synced()
        started = time.monotonic()
        sign_in(driver, server.base, "admin", PASSWORD)
        total = server.request("GET", '/api/v1/library_slots?filter_data=kind="storage"&limit=1')
        pages = driver.find_element(By.ID, "map-page-label").text
        check("of " in pages, f"the large map is paged: {pages}")
        # Search a barcode on a far page: the page changes to it and the cell is focused.
        far = server.request("GET", '/api/v1/library_slots?filter_data=kind="storage",full="true"&sort=element_address&direction=desc&limit=1')["data"][0]
        box = driver.find_element(By.ID, "search-barcode")
        box.send_keys(far["volume_tag"], Keys.ENTER)
        wait(driver, lambda d: d.execute_script("return document.activeElement && document.activeElement.dataset.volumeTag")
             == far["volume_tag"], "the far barcode's cell focused")
        check(driver.execute_script("return document.body.dataset.mapPage") != "1", "the map went to the barcode's page")
        os.makedirs(OUT, exist_ok=True)
        driver.execute_script("document.querySelector('.slot.found').scrollIntoView({block: 'center'})")
        driver.save_screenshot(os.path.join(OUT, "map-large.png"))
        print(f"ui-test: large library: {pages}; searched {far['volume_tag']} in {time.monotonic() - started:.1f} s")
    finally:
        server.stop()


def main():
    driver = browser()
    try:
        midsize(driver)
        large(driver)
    finally:
        driver.quit()
    print(f"ui-test: {checks} checks passed; screenshots in {OUT}")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print(f"ui-test: FAILED: {error}", file=sys.stderr)
        sys.exit(1)
