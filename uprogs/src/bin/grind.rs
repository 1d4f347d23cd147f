//! grind: two processes make random system calls on a small set of files
//! and directories, forever, restarted every couple of seconds. Each prints
//! a letter (A or B) every 500 calls; anything else printed is a failure.

#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use ulib::{
    chdir, close, dup, exec, exit, fork, fprintln, fstat, getpid, kill, link, mkdir, open, pipe,
    println, read, sbrk, sleep, unlink, wait, write, Args, Stat, O_CREATE, O_RDWR,
};

ulib::entry!(main);

/// The Park–Miller "minimal standard" generator (multiplier 16807, modulus
/// 2^31 - 1), computed with Schrage's method so nothing overflows. `ctx`
/// is the state; the result lies in [0, 0x7ffffffd].
fn do_rand(ctx: &mut u64) -> i32 {
    // Map the state into [1, 0x7ffffffe].
    let mut x = (*ctx % 0x7fff_fffe) as i64 + 1;
    let hi = x / 127773;
    let lo = x % 127773;
    x = 16807 * lo - 2836 * hi;
    if x < 0 {
        x += 0x7fff_ffff;
    }
    // Back to [0, 0x7ffffffd].
    x -= 1;
    *ctx = x as u64;
    x as i32
}

/// A buffer in bss for the random reads and writes (the stack is one page).
struct Buf(UnsafeCell<[u8; 999]>);

// SAFETY: user programs have one thread.
unsafe impl Sync for Buf {}

static BUF: Buf = Buf(UnsafeCell::new([0; 999]));

fn go(which_child: i32, mut rand_next: u64) -> ! {
    let mut fd = -1;
    // SAFETY: the only reference to BUF in this process.
    let buf = unsafe { &mut *BUF.0.get() };
    let break0 = sbrk(0) as usize;
    let mut iters: u64 = 0;

    mkdir(c"grindir");
    if chdir(c"grindir") != 0 {
        println!("grind: chdir grindir failed");
        exit(1);
    }
    chdir(c"/");

    loop {
        iters += 1;
        if iters.is_multiple_of(500) {
            write(1, if which_child != 0 { b"B" } else { b"A" });
        }
        let what = do_rand(&mut rand_next) % 23;
        if what == 1 {
            close(open(c"grindir/../a", O_CREATE | O_RDWR));
        } else if what == 2 {
            close(open(c"grindir/../grindir/../b", O_CREATE | O_RDWR));
        } else if what == 3 {
            unlink(c"grindir/../a");
        } else if what == 4 {
            if chdir(c"grindir") != 0 {
                println!("grind: chdir grindir failed");
                exit(1);
            }
            unlink(c"../b");
            chdir(c"/");
        } else if what == 5 {
            close(fd);
            fd = open(c"/grindir/../a", O_CREATE | O_RDWR);
        } else if what == 6 {
            close(fd);
            fd = open(c"/./grindir/./../b", O_CREATE | O_RDWR);
        } else if what == 7 {
            write(fd, buf);
        } else if what == 8 {
            read(fd, buf);
        } else if what == 9 {
            mkdir(c"grindir/../a");
            close(open(c"a/../a/./a", O_CREATE | O_RDWR));
            unlink(c"a/a");
        } else if what == 10 {
            mkdir(c"/../b");
            close(open(c"grindir/../b/b", O_CREATE | O_RDWR));
            unlink(c"b/b");
        } else if what == 11 {
            unlink(c"b");
            link(c"../grindir/./../a", c"../b");
        } else if what == 12 {
            unlink(c"../grindir/../a");
            link(c".././b", c"/grindir/../a");
        } else if what == 13 {
            let pid = fork();
            if pid == 0 {
                exit(0);
            } else if pid < 0 {
                println!("grind: fork failed");
                exit(1);
            }
            wait(None);
        } else if what == 14 {
            let pid = fork();
            if pid == 0 {
                fork();
                fork();
                exit(0);
            } else if pid < 0 {
                println!("grind: fork failed");
                exit(1);
            }
            wait(None);
        } else if what == 15 {
            sbrk(6011);
        } else if what == 16 {
            if sbrk(0) as usize > break0 {
                sbrk(-((sbrk(0) as usize - break0) as i32));
            }
        } else if what == 17 {
            let pid = fork();
            if pid == 0 {
                close(open(c"a", O_CREATE | O_RDWR));
                exit(0);
            } else if pid < 0 {
                println!("grind: fork failed");
                exit(1);
            }
            if chdir(c"../grindir/..") != 0 {
                println!("grind: chdir failed");
                exit(1);
            }
            kill(pid);
            wait(None);
        } else if what == 18 {
            let pid = fork();
            if pid == 0 {
                kill(getpid());
                exit(0);
            } else if pid < 0 {
                println!("grind: fork failed");
                exit(1);
            }
            wait(None);
        } else if what == 19 {
            let mut fds = [0i32; 2];
            if pipe(&mut fds) < 0 {
                println!("grind: pipe failed");
                exit(1);
            }
            let pid = fork();
            if pid == 0 {
                fork();
                fork();
                if write(fds[1], b"x") != 1 {
                    println!("grind: pipe write failed");
                }
                let mut c = [0u8; 1];
                if read(fds[0], &mut c) != 1 {
                    println!("grind: pipe read failed");
                }
                exit(0);
            } else if pid < 0 {
                println!("grind: fork failed");
                exit(1);
            }
            close(fds[0]);
            close(fds[1]);
            wait(None);
        } else if what == 20 {
            let pid = fork();
            if pid == 0 {
                unlink(c"a");
                mkdir(c"a");
                chdir(c"a");
                unlink(c"../a");
                // left open: exit must close a file in a removed directory
                let _x = open(c"x", O_CREATE | O_RDWR);
                unlink(c"x");
                exit(0);
            } else if pid < 0 {
                println!("grind: fork failed");
                exit(1);
            }
            wait(None);
        } else if what == 21 {
            unlink(c"c");
            // Must always work: there must be a free inode, descriptor
            // and block.
            let fd1 = open(c"c", O_CREATE | O_RDWR);
            if fd1 < 0 {
                println!("grind: create c failed");
                exit(1);
            }
            if write(fd1, b"x") != 1 {
                println!("grind: write c failed");
                exit(1);
            }
            let mut st = Stat::default();
            if fstat(fd1, &mut st) != 0 {
                println!("grind: fstat failed");
                exit(1);
            }
            if st.size != 1 {
                println!("grind: fstat reports wrong size {}", st.size as i32);
                exit(1);
            }
            if st.ino > 200 {
                println!("grind: fstat reports crazy i-number {}", st.ino);
                exit(1);
            }
            close(fd1);
            unlink(c"c");
        } else if what == 22 {
            echo_hi_cat();
        }
    }
}

/// The shell pipeline `echo hi | cat`, built by hand; its output must be
/// "hi\n".
fn echo_hi_cat() {
    let mut aa = [0i32; 2];
    let mut bb = [0i32; 2];
    if pipe(&mut aa) < 0 {
        fprintln!(2, "grind: pipe failed");
        exit(1);
    }
    if pipe(&mut bb) < 0 {
        fprintln!(2, "grind: pipe failed");
        exit(1);
    }
    let pid1 = fork();
    if pid1 == 0 {
        close(bb[0]);
        close(bb[1]);
        close(aa[0]);
        close(1);
        if dup(aa[1]) != 1 {
            fprintln!(2, "grind: dup failed");
            exit(1);
        }
        close(aa[1]);
        exec(c"grindir/../echo", &[c"echo", c"hi"]);
        fprintln!(2, "grind: echo: not found");
        exit(2);
    } else if pid1 < 0 {
        fprintln!(2, "grind: fork failed");
        exit(3);
    }
    let pid2 = fork();
    if pid2 == 0 {
        close(aa[1]);
        close(bb[0]);
        close(0);
        if dup(aa[0]) != 0 {
            fprintln!(2, "grind: dup failed");
            exit(4);
        }
        close(aa[0]);
        close(1);
        if dup(bb[1]) != 1 {
            fprintln!(2, "grind: dup failed");
            exit(5);
        }
        close(bb[1]);
        exec(c"/cat", &[c"cat"]);
        fprintln!(2, "grind: cat: not found");
        exit(6);
    } else if pid2 < 0 {
        fprintln!(2, "grind: fork failed");
        exit(7);
    }
    close(aa[0]);
    close(aa[1]);
    close(bb[1]);
    let mut buf = [0u8; 4];
    read(bb[0], &mut buf[0..1]);
    read(bb[0], &mut buf[1..2]);
    read(bb[0], &mut buf[2..3]);
    close(bb[0]);
    let mut st1 = 0;
    let mut st2 = 0;
    wait(Some(&mut st1));
    wait(Some(&mut st2));
    let n = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    if st1 != 0 || st2 != 0 || &buf[..n] != b"hi\n" {
        let got = core::str::from_utf8(&buf[..n]).unwrap_or("?");
        println!("grind: exec pipeline failed {} {} \"{}\"", st1, st2, got);
        exit(1);
    }
}

/// One round: two children grind with different random streams; if the
/// first one to finish failed, both are killed.
fn iter(rand_next: u64) -> ! {
    unlink(c"a");
    unlink(c"b");

    let pid1 = fork();
    if pid1 < 0 {
        println!("grind: fork failed");
        exit(1);
    }
    if pid1 == 0 {
        go(0, rand_next ^ 31);
    }

    let pid2 = fork();
    if pid2 < 0 {
        println!("grind: fork failed");
        exit(1);
    }
    if pid2 == 0 {
        go(1, rand_next ^ 7177);
    }

    let mut st1 = -1;
    wait(Some(&mut st1));
    if st1 != 0 {
        kill(pid1);
        kill(pid2);
    }
    let mut st2 = -1;
    wait(Some(&mut st2));

    exit(0);
}

fn main(_args: Args) {
    // The generator's state; each round starts one step further along.
    let mut rand_next: u64 = 1;
    loop {
        let pid = fork();
        if pid == 0 {
            iter(rand_next);
        }
        if pid > 0 {
            wait(None);
        }
        sleep(20);
        rand_next += 1;
    }
}
