//! File-system system calls. Mostly argument checking; the real work is in
//! file.rs and fs.rs.

use crate::exec::exec;
use crate::file::{filealloc, fileclose, filedup, filestat, FdType, File, FileData};
#[cfg(not(lab_disk_faults))]
use crate::file::{fileread, filewrite};
// Under the labs whose faults read a disk, read and write make their
// buffers resident step by step before copying under locks (file.rs).
#[cfg(lab_disk_faults)]
use crate::file::steps::{filereadsteps as fileread, filewritesteps as filewrite};
use crate::fs::{
    dirlink, dirlookup, ialloc, ilock, iput, itrunc, iunlock, iunlockput, iupdate, namecmp, namei,
    nameiparent, readi, writei, ILocked, DIRENT_SIZE,
};
use crate::kalloc::{kalloc, kfree};
use crate::log::{begin_op, end_op};
use crate::pipe::pipealloc;
use crate::proc::{myproc, Dst, Src};
use crate::riscv::PGSIZE;
use crate::syscall::{argaddr, argint, argstr, fetchaddr, fetchstr};
use crate::vm::copyout;
use crate::Error;
use abi::fcntl::{O_CREATE, O_RDWR, O_TRUNC, O_WRONLY};
use abi::fs::DIRSIZ;
use abi::param::{MAXARG, MAXPATH, NDEV};
use abi::stat::{T_DEVICE, T_DIR, T_FILE};

/// The n'th argument as a file descriptor: returns (fd, file).
pub fn argfd(n: usize) -> Result<(usize, &'static File), Error> {
    let fd = usize::try_from(argint(n)).map_err(|_| Error)?;
    let f = myproc()
        .data()
        .ofile
        .get(fd)
        .copied()
        .flatten()
        .ok_or(Error)?;
    Ok((fd, f))
}

/// Gives `f` the lowest free descriptor of the current process.
fn fdalloc(f: &'static File) -> Result<usize, Error> {
    let mut d = myproc().data();
    let fd = d.ofile.iter().position(|s| s.is_none()).ok_or(Error)?;
    d.ofile[fd] = Some(f);
    Ok(fd)
}

/// Copies the path argument n; returns the buffer and its length.
fn argpath(n: usize) -> Result<([u8; MAXPATH], usize), Error> {
    let mut path = [0u8; MAXPATH];
    let len = argstr(n, &mut path)?;
    Ok((path, len))
}

pub fn sys_dup() -> Result<usize, Error> {
    let (_, f) = argfd(0)?;
    let fd = fdalloc(f)?;
    filedup(f);
    Ok(fd)
}

pub fn sys_read() -> Result<usize, Error> {
    let addr = argaddr(1);
    let n = usize::try_from(argint(2)).map_err(|_| Error)?;
    let (_, f) = argfd(0)?;
    fileread(f, addr, n)
}

pub fn sys_write() -> Result<usize, Error> {
    let addr = argaddr(1);
    let n = usize::try_from(argint(2)).map_err(|_| Error)?;
    let (_, f) = argfd(0)?;
    filewrite(f, addr, n)
}

pub fn sys_close() -> Result<usize, Error> {
    let (fd, f) = argfd(0)?;
    myproc().data().ofile[fd] = None;
    fileclose(f);
    Ok(0)
}

pub fn sys_fstat() -> Result<usize, Error> {
    let st = argaddr(1);
    let (_, f) = argfd(0)?;
    filestat(f, st).map(|_| 0)
}

/// link(old, new): another name for an existing (non-directory) file.
pub fn sys_link() -> Result<usize, Error> {
    let (old, olen) = argpath(0)?;
    let (new, nlen) = argpath(1)?;
    let _op = begin_op();
    let Some(ip) = namei(&old[..olen]) else {
        return Err(Error);
    };
    let mut l = ilock(ip);
    if l.typ == T_DIR {
        iunlockput(l);
        return Err(Error);
    }
    l.nlink += 1;
    iupdate(&l);
    let ip = iunlock(l);

    let mut name = [0u8; DIRSIZ];
    if let Some(dp) = nameiparent(&new[..nlen], &mut name) {
        let mut dl = ilock(dp);
        if dp.dev() == ip.dev() && dirlink(&mut dl, &name, ip.inum()).is_ok() {
            iunlockput(dl);
            iput(ip);
            return Ok(0);
        }
        iunlockput(dl);
    }
    // Undo the link count.
    let mut l = ilock(ip);
    l.nlink -= 1;
    iupdate(&l);
    iunlockput(l);
    Err(Error)
}

/// Is the directory empty apart from "." and ".."?
fn isdirempty(dp: &mut ILocked) -> bool {
    let mut buf = [0u8; DIRENT_SIZE as usize];
    let mut off = 2 * DIRENT_SIZE;
    while off < dp.size {
        match readi(dp, Dst::Kernel(&mut buf), off, DIRENT_SIZE) {
            Ok(DIRENT_SIZE) => {}
            _ => panic!("isdirempty: readi"),
        }
        if u16::from_le_bytes([buf[0], buf[1]]) != 0 {
            return false;
        }
        off += DIRENT_SIZE;
    }
    true
}

pub fn sys_unlink() -> Result<usize, Error> {
    let (path, len) = argpath(0)?;
    let mut name = [0u8; DIRSIZ];
    let _op = begin_op();
    let Some(dp) = nameiparent(&path[..len], &mut name) else {
        return Err(Error);
    };
    let mut dl = ilock(dp);
    // Cannot unlink "." or "..".
    let found = if namecmp(&name, b".") || namecmp(&name, b"..") {
        None
    } else {
        dirlookup(&mut dl, &name)
    };
    let Some((ip, off)) = found else {
        iunlockput(dl);
        return Err(Error);
    };
    let mut il = ilock(ip);
    if il.nlink < 1 {
        panic!("unlink: nlink < 1");
    }
    if il.typ == T_DIR && !isdirempty(&mut il) {
        iunlockput(il);
        iunlockput(dl);
        return Err(Error);
    }
    let zero = [0u8; DIRENT_SIZE as usize];
    match writei(&mut dl, Src::Kernel(&zero), off, DIRENT_SIZE) {
        Ok(DIRENT_SIZE) => {}
        _ => panic!("unlink: writei"),
    }
    if il.typ == T_DIR {
        // The child's ".." no longer refers to dp.
        dl.nlink -= 1;
        iupdate(&dl);
    }
    iunlockput(dl);
    il.nlink -= 1;
    iupdate(&il);
    iunlockput(il);
    Ok(0)
}

/// Creates `path` with the given type, or (for T_FILE) opens an existing
/// file or device of that name. Returns it locked.
fn create(path: &[u8], typ: i16, major: i16, minor: i16) -> Option<ILocked> {
    let mut name = [0u8; DIRSIZ];
    let dp = nameiparent(path, &mut name)?;
    let mut dl = ilock(dp);

    if let Some((ip, _)) = dirlookup(&mut dl, &name) {
        iunlockput(dl);
        let il = ilock(ip);
        if typ == T_FILE && (il.typ == T_FILE || il.typ == T_DEVICE) {
            return Some(il);
        }
        iunlockput(il);
        return None;
    }

    let Some(ip) = ialloc(dp.dev(), typ) else {
        iunlockput(dl);
        return None;
    };
    let mut il = ilock(ip);
    il.major = major;
    il.minor = minor;
    il.nlink = 1;
    iupdate(&il);

    let linked = (|| {
        if typ == T_DIR {
            // "." and ".." entries. No nlink++ for ".": avoid a cycle.
            dirlink(&mut il, b".", ip.inum())?;
            dirlink(&mut il, b"..", dp.inum())?;
        }
        dirlink(&mut dl, &name, ip.inum())
    })();
    if linked.is_err() {
        // Let iput free the half-made inode.
        il.nlink = 0;
        iupdate(&il);
        iunlockput(il);
        iunlockput(dl);
        return None;
    }
    if typ == T_DIR {
        // For the new directory's "..".
        dl.nlink += 1;
        iupdate(&dl);
    }
    iunlockput(dl);
    Some(il)
}

pub fn sys_open() -> Result<usize, Error> {
    let omode = argint(1);
    let (path, len) = argpath(0)?;
    let path = &path[..len];
    let _op = begin_op();
    let il = if omode & O_CREATE != 0 {
        create(path, T_FILE, 0, 0)
    } else {
        match namei(path) {
            None => None,
            Some(ip) => {
                let il = ilock(ip);
                if il.typ == T_DIR && omode != abi::fcntl::O_RDONLY {
                    iunlockput(il);
                    None
                } else {
                    Some(il)
                }
            }
        }
    };
    let Some(mut il) = il else {
        return Err(Error);
    };
    if il.typ == T_DEVICE && (il.major < 0 || il.major as usize >= NDEV) {
        iunlockput(il);
        return Err(Error);
    }
    // A fresh file has no type yet, so closing it on failure is harmless.
    let Some((f, fd)) = filealloc().and_then(|f| match fdalloc(f) {
        Ok(fd) => Some((f, fd)),
        Err(_) => {
            fileclose(f);
            None
        }
    }) else {
        iunlockput(il);
        return Err(Error);
    };
    let (typ, major) = if il.typ == T_DEVICE {
        (FdType::Device, il.major)
    } else {
        (FdType::Inode, 0)
    };
    f.init(FileData {
        typ,
        readable: omode & O_WRONLY == 0,
        writable: omode & O_WRONLY != 0 || omode & O_RDWR != 0,
        pipe: None,
        ip: Some(il.ip),
        major,
    });
    if omode & O_TRUNC != 0 && il.typ == T_FILE {
        itrunc(&mut il);
    }
    iunlock(il);
    Ok(fd)
}

pub fn sys_mkdir() -> Result<usize, Error> {
    let _op = begin_op();
    let r = argpath(0)
        .ok()
        .and_then(|(p, n)| create(&p[..n], T_DIR, 0, 0));
    let Some(il) = r else {
        return Err(Error);
    };
    iunlockput(il);
    Ok(0)
}

pub fn sys_mknod() -> Result<usize, Error> {
    let _op = begin_op();
    let major = argint(1) as i16;
    let minor = argint(2) as i16;
    let r = argpath(0)
        .ok()
        .and_then(|(p, n)| create(&p[..n], T_DEVICE, major, minor));
    let Some(il) = r else {
        return Err(Error);
    };
    iunlockput(il);
    Ok(0)
}

pub fn sys_chdir() -> Result<usize, Error> {
    let p = myproc();
    let op = begin_op();
    let Some(ip) = argpath(0).ok().and_then(|(path, n)| namei(&path[..n])) else {
        return Err(Error);
    };
    let il = ilock(ip);
    if il.typ != T_DIR {
        iunlockput(il);
        return Err(Error);
    }
    let ip = iunlock(il);
    let old = p.data().cwd.take();
    if let Some(old) = old {
        iput(old);
    }
    end_op(op);
    p.data().cwd = Some(ip);
    Ok(0)
}

/// exec(path, argv): each argument string is copied into a page of its own.
pub fn sys_exec() -> Result<usize, Error> {
    let uargv = argaddr(1);
    let (path, plen) = argpath(0)?;
    // The strings, NUL included, each at the start of a page of its own
    // (freed below through the string's address, as C frees argv[i]).
    let mut argv: [&[u8]; MAXARG] = [&[]; MAXARG];
    let mut argc = 0;
    let fetched = (|| {
        loop {
            if argc >= MAXARG {
                return Err(Error);
            }
            let uarg = fetchaddr(uargv.checked_add(8 * argc).ok_or(Error)?)?;
            if uarg == 0 {
                return Ok(());
            }
            let page = kalloc().ok_or(Error)?;
            // SAFETY: page is a fresh page of our own, freed only below,
            // after the last use of argv (or here, if the copy fails).
            let buf = unsafe { core::slice::from_raw_parts_mut(page as *mut u8, PGSIZE) };
            match fetchstr(uarg, buf) {
                Ok(len) => argv[argc] = &buf[..=len],
                Err(e) => {
                    // SAFETY: nothing refers to the page yet.
                    unsafe { kfree(page) };
                    return Err(e);
                }
            }
            argc += 1;
        }
    })();
    let ret = fetched.and_then(|_| exec(&path[..plen], &argv[..argc]));
    for arg in &argv[..argc] {
        // SAFETY: each string starts its own page from kalloc above, no
        // longer used after exec, and nothing else refers to it.
        unsafe { kfree(arg.as_ptr() as usize) };
    }
    ret
}

pub fn sys_pipe() -> Result<usize, Error> {
    let fdarray = argaddr(0);
    let p = myproc();
    let (rf, wf) = pipealloc()?;
    let Ok(fd0) = fdalloc(rf) else {
        fileclose(rf);
        fileclose(wf);
        return Err(Error);
    };
    let Ok(fd1) = fdalloc(wf) else {
        p.data().ofile[fd0] = None;
        fileclose(rf);
        fileclose(wf);
        return Err(Error);
    };
    let (pt, sz) = (p.pagetable(), p.sz());
    if copyout(pt, sz, fdarray, &(fd0 as i32).to_le_bytes()).is_err()
        || copyout(pt, sz, fdarray + 4, &(fd1 as i32).to_le_bytes()).is_err()
    {
        p.data().ofile[fd0] = None;
        p.data().ofile[fd1] = None;
        fileclose(rf);
        fileclose(wf);
        return Err(Error);
    }
    Ok(0)
}
