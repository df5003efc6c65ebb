"""`make bench`, the web page from headless chromium: time to the first complete paint of the
`large` library's map page (10,000 slots, paged by 500) and of the task page holding 1,000
tasks, from navigation start to the frame after the page has put every row in (targets ≤ 1 s
each), and the bytes the page transferred. Each figure is the median of RUNS loads."""
import os
import statistics

from browser import PASSWORD, Server, browser, sign_in, wait

RUNS = int(os.environ.get("UI_BENCH_RUNS", "7"))


def painted(driver, url, what):
    """Loads `url` afresh; milliseconds from navigation start to the page's paint mark, and bytes."""
    driver.get("about:blank")
    driver.get(url)
    wait(driver, lambda d: d.execute_script("return window.tapelibPainted && window.tapelibPainted[arguments[0]]", what),
         f"the {what} page painted")
    return driver.execute_script("""
        const entries = performance.getEntriesByType('resource');
        const nav = performance.getEntriesByType('navigation')[0];
        const page = entries.filter((e) => e.name.includes('/ui/')).reduce((n, e) => n + e.transferSize, nav.transferSize);
        const api = entries.filter((e) => e.name.includes('/api/v1/')).reduce((n, e) => n + e.transferSize, 0);
        return [window.tapelibPainted[arguments[0]], page, api,
                entries.filter((e) => e.name.includes('/api/v1/')).length];""", what)


def measure(driver, url, what):
    runs = [painted(driver, url, what) for _ in range(RUNS)]
    median = statistics.median(r[0] for r in runs)
    page, api, calls = runs[-1][1], runs[-1][2], runs[-1][3]
    return median, min(r[0] for r in runs), max(r[0] for r in runs), page, api, calls


def main():
    driver = browser()
    large = Server("large")
    try:
        large.wait_until_synced()
        sign_in(driver, large.base, "admin", PASSWORD)
        slots = large.request("GET", "/api/v1/library_slots?limit=1")
        median, low, high, page, api, calls = measure(driver, large.base + "/#/library/1", "map")
        print(f"ui-bench: large map page (first 500 of the storage slots, mail slots, drives): first complete paint "
              f"median {median:.0f} ms (min {low:.0f}, max {high:.0f}, {RUNS} loads; target ≤ 1000 ms); "
              f"page {page} B transferred, {calls} API calls {api} B")
    finally:
        large.stop()
    tasks = Server("midsize")
    try:
        tasks.wait_until_synced()
        # 1,000 tasks in the queue: unloads of an empty drive, each refused by the drive at once.
        ids = []
        for _ in range(1000):
            answer = tasks.request("PATCH", "/api/v1/library_tape_drives/1/unload")
            ids.extend(answer["data"]["task_ids"])
        tasks.wait_for_task(ids[-1])
        total = len(tasks.all("/api/v1/tl_task_queue"))
        sign_in(driver, tasks.base, "admin", PASSWORD)
        median, low, high, page, api, calls = measure(driver, tasks.base + "/#/tasks", "tasks")
        rows = driver.execute_script("return document.querySelectorAll('#tasks-table .task-row').length")
        print(f"ui-bench: task page ({rows} rows of {total} tasks): first complete paint median {median:.0f} ms "
              f"(min {low:.0f}, max {high:.0f}, {RUNS} loads; target ≤ 1000 ms); page {page} B transferred, "
              f"{calls} API calls {api} B")
    finally:
        tasks.stop()
        driver.quit()


if __name__ == "__main__":
    main()
